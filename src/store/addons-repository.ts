import type { Db } from './database.js';

/**
 * An add-on as stored: its plan, its server (a container on a loopback port, data in a volume named after the
 * add-on) and the one credential its URLs carry. `appId` is the owning (billing) app; it is no foreign key because
 * the app's row goes first and `app.destroyed` then removes the add-on's server.
 */
export interface AddonRecord {
  readonly id: string;
  readonly name: string;
  readonly appId: string;
  /** `heroku-postgresql`, `heroku-redis`. */
  readonly service: string;
  /** The plan's short name (`essential-0`). */
  readonly plan: string;
  readonly state: 'provisioning' | 'provisioned' | 'deprovisioned';
  /** The server's port on 127.0.0.1 (Redis: the plain port; TLS answers on port + 1). */
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  readonly containerId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AttachmentRecord {
  readonly id: string;
  readonly addonId: string;
  readonly appId: string;
  /** `DATABASE`: the config var is `<name>_URL`. */
  readonly name: string;
  readonly namespace: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A Postgres credential besides the default one (`pg:credentials:create`): a role of its own on the add-on's server. */
export interface CredentialRecord {
  readonly addonId: string;
  /** `analyst`: attachments name it as `credential:analyst`. */
  readonly name: string;
  readonly username: string;
  readonly password: string;
  readonly createdAt: string;
}

interface CredentialRow {
  addon_id: string;
  name: string;
  username: string;
  password: string;
  created_at: string;
}

interface AddonRow {
  id: string;
  name: string;
  app_id: string;
  service: string;
  plan: string;
  state: AddonRecord['state'];
  port: number;
  username: string;
  password: string;
  database: string;
  container_id: string | null;
  created_at: string;
  updated_at: string;
}

interface AttachmentRow {
  id: string;
  addon_id: string;
  app_id: string;
  name: string;
  namespace: string | null;
  created_at: string;
  updated_at: string;
}

const toAddon = (r: AddonRow): AddonRecord => ({
  id: r.id,
  name: r.name,
  appId: r.app_id,
  service: r.service,
  plan: r.plan,
  state: r.state,
  port: r.port,
  username: r.username,
  password: r.password,
  database: r.database,
  containerId: r.container_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toAttachment = (r: AttachmentRow): AttachmentRecord => ({
  id: r.id,
  addonId: r.addon_id,
  appId: r.app_id,
  name: r.name,
  namespace: r.namespace,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class AddonsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(addon: AddonRecord): AddonRecord {
    this.#db
      .prepare(
        `INSERT INTO addons (id, name, app_id, service, plan, state, port, username, password, database, container_id, created_at, updated_at)
         VALUES (@id, @name, @appId, @service, @plan, @state, @port, @username, @password, @database, @containerId, @createdAt, @updatedAt)`,
      )
      .run(addon);
    return addon;
  }

  update(id: string, changes: { state?: AddonRecord['state']; plan?: string; containerId?: string | null; name?: string; password?: string }, now: string): void {
    const current = this.get(id);
    if (!current) return;
    const next = { ...current, ...changes, updatedAt: now };
    this.#db
      .prepare('UPDATE addons SET state = @state, plan = @plan, container_id = @containerId, name = @name, password = @password, updated_at = @updatedAt WHERE id = @id')
      .run(next);
  }

  get(id: string): AddonRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM addons WHERE id = ?').get(id) as AddonRow | undefined;
    return row && toAddon(row);
  }

  getByName(name: string): AddonRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM addons WHERE name = ?').get(name) as AddonRow | undefined;
    return row && toAddon(row);
  }

  list(): AddonRecord[] {
    return (this.#db.prepare('SELECT * FROM addons ORDER BY created_at, id').all() as AddonRow[]).map(toAddon);
  }

  listByApp(appId: string): AddonRecord[] {
    return (this.#db.prepare('SELECT * FROM addons WHERE app_id = ? ORDER BY created_at, id').all(appId) as AddonRow[]).map(toAddon);
  }

  nameTaken(name: string): boolean {
    return this.#db.prepare('SELECT 1 FROM addons WHERE name = ?').get(name) !== undefined;
  }

  portsInUse(): number[] {
    return this.#db.prepare('SELECT port FROM addons').pluck().all() as number[];
  }

  /** The add-on and its attachments. */
  delete(id: string): void {
    this.#db.prepare('DELETE FROM addons WHERE id = ?').run(id);
  }

  insertAttachment(attachment: AttachmentRecord): AttachmentRecord {
    this.#db
      .prepare(
        `INSERT INTO addon_attachments (id, addon_id, app_id, name, namespace, created_at, updated_at)
         VALUES (@id, @addonId, @appId, @name, @namespace, @createdAt, @updatedAt)`,
      )
      .run(attachment);
    return attachment;
  }

  attachments(): AttachmentRecord[] {
    return (this.#db.prepare('SELECT * FROM addon_attachments ORDER BY created_at, id').all() as AttachmentRow[]).map(toAttachment);
  }

  attachmentsOfAddon(addonId: string): AttachmentRecord[] {
    return (this.#db.prepare('SELECT * FROM addon_attachments WHERE addon_id = ? ORDER BY created_at, id').all(addonId) as AttachmentRow[]).map(toAttachment);
  }

  attachmentsOfApp(appId: string): AttachmentRecord[] {
    return (this.#db.prepare('SELECT * FROM addon_attachments WHERE app_id = ? ORDER BY created_at, id').all(appId) as AttachmentRow[]).map(toAttachment);
  }

  attachment(id: string): AttachmentRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM addon_attachments WHERE id = ?').get(id) as AttachmentRow | undefined;
    return row && toAttachment(row);
  }

  deleteAttachment(id: string): void {
    this.#db.prepare('DELETE FROM addon_attachments WHERE id = ?').run(id);
  }

  insertCredential(credential: CredentialRecord): CredentialRecord {
    this.#db
      .prepare('INSERT INTO addon_credentials (addon_id, name, username, password, created_at) VALUES (@addonId, @name, @username, @password, @createdAt)')
      .run(credential);
    return credential;
  }

  /** `pg:credentials:rotate --name`: the credential's new password. */
  updateCredentialPassword(addonId: string, name: string, password: string): void {
    this.#db.prepare('UPDATE addon_credentials SET password = ? WHERE addon_id = ? AND name = ?').run(password, addonId, name);
  }

  deleteCredential(addonId: string, name: string): void {
    this.#db.prepare('DELETE FROM addon_credentials WHERE addon_id = ? AND name = ?').run(addonId, name);
  }

  /** The add-on's extra credentials by name (the default one is the add-on's own username and password). */
  credentialsOf(addonId: string): CredentialRecord[] {
    return (this.#db.prepare('SELECT * FROM addon_credentials WHERE addon_id = ? ORDER BY name').all(addonId) as CredentialRow[]).map((r) => ({
      addonId: r.addon_id,
      name: r.name,
      username: r.username,
      password: r.password,
      createdAt: r.created_at,
    }));
  }
}
