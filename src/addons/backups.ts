// `pg:backups`: real `pg_dump` custom-format files in the data dir, captured and restored by one-off containers of the
// add-on image on the host network (the image's pg_dump matches the server's version). Transfers are kept per app as
// Heroku's data API lists them (`b001`, `r002`, ...), in one JSON file per app. `pg:backups:url`/`download` get a
// public URL that carries its own expiry and signature, as Heroku's presigned S3 URLs do: no API key to GET it.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { apiTimestamp } from '../clock.js';
import type { Runtime } from '../runtime/index.js';
import type { AddonRecord } from '../store/index.js';

export interface Transfer {
  readonly uuid: string;
  readonly num: number;
  readonly from_type: 'pg_dump';
  readonly to_type: 'gof3r' | 'pg_restore';
  readonly from_name: string;
  readonly to_name: string;
  readonly from_url: string;
  readonly to_url: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly canceled_at: null;
  readonly succeeded: boolean;
  readonly processed_bytes: number;
  readonly source_bytes: number;
  readonly warnings: number;
  readonly schedule: null;
  readonly logs: ReadonlyArray<{ created_at: string; message: string }>;
}

const BACKUP_URL = /^berth-backup:\/\/([0-9a-f-]{36})$/;
/** [U] How long a public backup URL lives (Heroku's presigned S3 URLs expire; the span is not documented). */
const PUBLIC_URL_SECONDS = 60 * 60;
const SIGNED = /^(\d{1,12})-([0-9a-f]{64})$/;

export class Backups {
  readonly #runtime: Runtime;
  readonly #dir: string;
  readonly #image: string;
  /** Where the transfer container reaches the add-on server (it may run on another node). */
  readonly #host: string;
  /** Writes of one app's transfer file, one after another. */
  #chain: Promise<unknown> = Promise.resolve();
  /** Signs public backup URLs; a daemon restart makes the URLs it handed out invalid, as an expiry would. */
  readonly #signingKey = randomBytes(32);

  constructor(runtime: Runtime, options: { dataDir: string; image: string; host: string }) {
    this.#runtime = runtime;
    this.#host = options.host;
    this.#dir = join(options.dataDir, 'addons');
    this.#image = options.image;
  }

  #transfersFile(appId: string): string {
    return join(this.#dir, 'transfers', `${appId}.json`);
  }

  #dumpFile(uuid: string): string {
    return join(this.#dir, 'backups', `${uuid}.dump`);
  }

  async list(appId: string): Promise<Transfer[]> {
    try {
      return JSON.parse(await readFile(this.#transfersFile(appId), 'utf8')) as Transfer[];
    } catch {
      return [];
    }
  }

  async get(appId: string, ref: string): Promise<Transfer | undefined> {
    const wanted = ref.toLowerCase();
    return (await this.list(appId)).find((t) => t.uuid === wanted || String(t.num) === wanted.replace(/^[abrc]0*/, ''));
  }

  #update(appId: string, change: (transfers: Transfer[]) => Transfer[]): Promise<Transfer[]> {
    const next = this.#chain.then(async () => {
      const transfers = change(await this.list(appId));
      await mkdir(join(this.#dir, 'transfers'), { recursive: true });
      await writeFile(this.#transfersFile(appId), JSON.stringify(transfers));
      return transfers;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** `POST /client/v11/databases/{id}/backups`: answers the pending transfer; the dump runs on. */
  async capture(addon: AddonRecord, attachment: string): Promise<Transfer> {
    const uuid = randomUUID();
    const now = apiTimestamp();
    let created: Transfer | undefined;
    await this.#update(addon.appId, (transfers) => {
      const num = transfers.reduce((max, t) => Math.max(max, t.num), 0) + 1;
      created = {
        uuid, num, from_type: 'pg_dump', to_type: 'gof3r', from_name: attachment, to_name: 'BACKUP',
        from_url: '', to_url: `berth-backup://${uuid}`, created_at: now, updated_at: now, started_at: now, finished_at: null,
        canceled_at: null, succeeded: false, processed_bytes: 0, source_bytes: 0, warnings: 0, schedule: null, logs: [],
      };
      return [...transfers, created];
    });
    await mkdir(join(this.#dir, 'backups'), { recursive: true });
    void this.#run(addon, uuid, ['pg_dump', '-Fc', '--no-acl', '--no-owner', '-f', `/backups/${uuid}.dump`], false);
    return created as Transfer;
  }

  /** `POST /client/v11/databases/{id}/restores` with the `to_url` of a backup of any app. */
  async restore(addon: AddonRecord, backupUrl: string): Promise<Transfer | undefined> {
    const source = BACKUP_URL.exec(backupUrl)?.[1];
    if (source === undefined) return undefined;
    if (!(await stat(this.#dumpFile(source)).catch(() => undefined))) return undefined;
    const uuid = randomUUID();
    const now = apiTimestamp();
    let created: Transfer | undefined;
    await this.#update(addon.appId, (transfers) => {
      const num = transfers.reduce((max, t) => Math.max(max, t.num), 0) + 1;
      created = {
        uuid, num, from_type: 'pg_dump', to_type: 'pg_restore', from_name: 'BACKUP', to_name: 'DATABASE',
        from_url: backupUrl, to_url: '', created_at: now, updated_at: now, started_at: now, finished_at: null,
        canceled_at: null, succeeded: false, processed_bytes: 0, source_bytes: 0, warnings: 0, schedule: null, logs: [],
      };
      return [...transfers, created];
    });
    void this.#run(addon, uuid, ['pg_restore', '--clean', '--if-exists', '--no-acl', '--no-owner', '-d', addon.database, `/backups/${source}.dump`], true);
    return created;
  }

  async #run(addon: AddonRecord, uuid: string, cmd: readonly string[], readOnly: boolean): Promise<void> {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString('utf8');
        done();
      },
    });
    let code = 1;
    try {
      code = await this.#runtime.run({
        image: this.#image,
        cmd: [...cmd],
        labels: { app: addon.appId, role: 'addon', dyno: `transfer.${uuid.slice(0, 8)}` },
        binds: [`${join(this.#dir, 'backups')}:/backups${readOnly ? ':ro' : ''}`],
        env: { PGHOST: this.#host, PGPORT: String(addon.port), PGUSER: addon.username, PGPASSWORD: addon.password, PGDATABASE: addon.database },
        stdout: sink,
      });
    } catch (error) {
      output += String(error);
    }
    const size = readOnly ? 0 : ((await stat(this.#dumpFile(uuid)).catch(() => undefined))?.size ?? 0);
    const now = apiTimestamp();
    await this.#update(addon.appId, (transfers) =>
      transfers.map((t) =>
        t.uuid !== uuid
          ? t
          : {
              ...t,
              finished_at: now,
              updated_at: now,
              succeeded: code === 0,
              processed_bytes: size,
              source_bytes: size,
              logs: output.trim() === '' ? [] : output.trim().split('\n').map((message) => ({ created_at: now, message })),
            },
      ),
    );
  }

  /**
   * `POST …/transfers/{num}/actions/public-url`: the secret part of a URL that serves the backup's dump file until
   * `PUBLIC_URL_SECONDS` from `now`: `<expiry in unix seconds>-<HMAC of uuid and expiry>`. Only a succeeded backup.
   */
  async publicSecret(appId: string, ref: string, now = Date.now()): Promise<{ uuid: string; secret: string } | undefined> {
    const transfer = await this.get(appId, ref);
    if (transfer === undefined || transfer.to_type !== 'gof3r' || !transfer.succeeded) return undefined;
    const expires = Math.floor(now / 1000) + PUBLIC_URL_SECONDS;
    return { uuid: transfer.uuid, secret: `${expires}-${this.#sign(transfer.uuid, expires)}` };
  }

  /** The dump file a public URL names, if its signature holds: `expired` once its time is past. */
  async publicFile(uuid: string, secret: string, now = Date.now()): Promise<string | 'expired' | undefined> {
    const signed = SIGNED.exec(secret);
    if (signed === null || !/^[0-9a-f-]{36}$/.test(uuid)) return undefined;
    const expires = Number(signed[1]);
    const given = Buffer.from(signed[2] ?? '', 'hex');
    const wanted = Buffer.from(this.#sign(uuid, expires), 'hex');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return undefined;
    if (now / 1000 > expires) return 'expired';
    const file = this.#dumpFile(uuid);
    return (await stat(file).catch(() => undefined)) === undefined ? undefined : file;
  }

  #sign(uuid: string, expires: number): string {
    return createHmac('sha256', this.#signingKey).update(`${uuid}:${expires}`).digest('hex');
  }

  /** app.destroyed: its transfers and dump files go. */
  async removeApp(appId: string): Promise<void> {
    for (const transfer of await this.list(appId)) await rm(this.#dumpFile(transfer.uuid), { force: true });
    await rm(this.#transfersFile(appId), { force: true });
  }
}
