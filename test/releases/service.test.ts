// The releases service on the memory engine: the release phase through the dyno manager (pass, fail, timeout,
// pending while it runs), rollback, POST /releases with a slug, retention, and Heroku's release descriptions.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord, ReleaseRecord } from '../../src/contracts/records.js';
import { isBerthError } from '../../src/errors.js';
import { sweepRetention } from '../../src/releases/index.js';
import { scriptBuildpacks } from '../support/build-container.js';
import { build } from '../support/builds.js';
import { EMAIL, platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';

let p: Platform;
let app: AppRecord;

async function open(env: Record<string, string> = {}): Promise<void> {
  p = await platform(env);
  app = await p.createApp();
}
beforeEach(async () => {
  await open();
});
afterEach(async () => {
  await p.close();
});

function apiLines(): string[] {
  return p.lines(app).filter((line) => line.startsWith('app[api]: ')).map((line) => line.slice('app[api]: '.length));
}

async function outputOf(release: ReleaseRecord): Promise<string> {
  const secret = release.outputStreamUrl?.split('/').pop() ?? '';
  const chunks: Buffer[] = [];
  for await (const chunk of p.services.releases.output(p.app(app.name), release.id, secret)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A release of a new slug with these process types, its phase run to its end. */
async function release(processTypes: Record<string, string>): Promise<ReleaseRecord> {
  const slug = await pretendSlug(p, app, processTypes);
  const made = p.services.releases.createFromApi(p.app(app.name), { slug: slug.id });
  return p.services.releases.startPhase(made);
}

function thrown(fn: () => unknown): { code: string; message: string; status: number } | undefined {
  try {
    fn();
  } catch (error) {
    if (isBerthError(error)) return { code: error.code, message: error.message, status: error.status };
    throw error;
  }
  return undefined;
}

describe('the release phase', () => {
  it('passes: pending while it runs, then current; its output on output_stream_url; Heroku’s app[api] lines', async () => {
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        proc.print('Migrating the database');
        proc.print('Done');
      },
    );
    const slug = await pretendSlug(p, app, { release: './migrate.sh', worker: 'node worker.js' });
    const pending = p.services.releases.createFromApi(app, { slug: slug.id });
    expect(pending).toMatchObject({ version: 3, status: 'pending', current: false });
    expect(pending.outputStreamUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:5100/streams/releases/${pending.id}/[0-9a-f]{48}$`));
    expect(p.services.releases.current(app)?.version).toBe(2);
    const done = await p.services.releases.startPhase(pending);
    expect(done).toMatchObject({ version: 3, status: 'succeeded', current: true });
    expect(await outputOf(done)).toBe('Migrating the database\nDone\n');
    expect(apiLines().filter((line) => !line.startsWith('Scaled to')).slice(-3)).toEqual([
      `Deploy ${slug.id.slice(0, 8)} by user ${EMAIL}`,
      `Running release v3 commands by user ${EMAIL}`,
      `Release v3 created by user ${EMAIL}`,
    ]);
  });

  it('runs the `release` command in a release dyno of the new slug, with the release’s config, logged as heroku[release.N]', async () => {
    let seen: { image: string; command: string | undefined; env: string | undefined } | undefined;
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        seen = { image: proc.spec.image, command: proc.spec.cmd.at(-1), env: proc.env['DATABASE_URL'] };
      },
    );
    p.services.apps.updateConfigVars(app.name, { DATABASE_URL: 'postgres://db' });
    const slug = await pretendSlug(p, app, { release: 'rake db:migrate' });
    await p.services.releases.startPhase(p.services.releases.createFromApi(p.app(app.name), { slug: slug.id }));
    expect(seen).toEqual({ image: slug.image, command: 'rake db:migrate', env: 'postgres://db' });
    const heroku = p.lines(app).filter((line) => line.startsWith('heroku[release.'));
    expect(heroku.map((line) => line.replace(/^heroku\[release\.\d+\]: /, ''))).toEqual([
      'Starting process with command `rake db:migrate`',
      'State changed from starting to up',
      'Process exited with status 0',
      'State changed from up to complete',
    ]);
  });

  it('fails: the release is failed, the previous one stays current, `Release vN command failed`', async () => {
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        proc.printError('migration failed');
        return 1;
      },
    );
    const done = await release({ release: './migrate.sh' });
    expect(done).toMatchObject({ version: 3, status: 'failed', current: false });
    expect(p.services.releases.current(p.app(app.name))?.version).toBe(2);
    expect(apiLines().at(-1)).toBe(`Release v3 command failed by user ${EMAIL}`);
    expect(await outputOf(done)).toBe('migration failed\n');
  });

  it('a failed release phase leaves the previous release’s dynos running, untouched', async () => {
    const v3 = await release({ worker: 'node worker.js' });
    await p.services.dynos.scale(p.app(app.name), [{ type: 'worker', quantity: 1 }]);
    const worker = await p.engine.started({ dyno: 'worker.1' });
    p.engine.script((spec) => spec.labels.role === 'release', () => 1);
    await release({ release: './migrate.sh', worker: 'node worker.js' });
    expect(worker.running).toBe(true);
    expect(worker.signals).toEqual([]);
    expect(p.services.dynos.dynos(p.app(app.name)).map((d) => [d.name, d.releaseId])).toEqual([['worker.1', v3.id]]);
  });

  it('a release phase past its timeout is killed and fails', async () => {
    await p.close();
    await open({ BERTH_RELEASE_TIMEOUT: '1' });
    p.engine.script((spec) => spec.labels.role === 'release', (proc) => proc.forever());
    const done = await release({ release: 'sleep 3600' });
    expect(done.status).toBe('failed');
    expect(p.lines(app).filter((line) => line.startsWith('heroku[release.')).some((line) => line.endsWith('Process exited with status 137'))).toBe(true);
  });

  it('a deploy by a build with a release command: the build says so, succeeds, and the phase runs in its turn', async () => {
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
    p.engine.script((spec) => spec.labels.role === 'release', () => 0);
    const { build: done, output } = await build(p, app, { 'package.json': '{}', Procfile: 'release: ./migrate.sh\nworker: node w.js\n' });
    expect(done.status).toBe('succeeded');
    expect(output.slice(-3)).toEqual([
      ' !     Release command declared: this new release will not be available until the command succeeds.',
      '       Released v3',
      `       http://${app.name}.localhost:5000/ deployed to Berth`,
    ]);
    // settled() waited for the whole turn: the phase has run.
    expect(p.services.releases.get(p.app(app.name), '3')).toMatchObject({ status: 'succeeded', current: true });
  });

  it('a build whose release phase fails is still a succeeded build; the release is failed', async () => {
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
    p.engine.script((spec) => spec.labels.role === 'release', () => 3);
    const { build: done } = await build(p, app, { 'package.json': '{}', Procfile: 'release: ./migrate.sh\n' });
    expect(done.status).toBe('succeeded');
    expect(p.services.releases.get(p.app(app.name), '3').status).toBe('failed');
    expect(p.services.releases.current(p.app(app.name))?.version).toBe(2);
  });

  it('a config change while a deploy’s phase is pending keeps that deploy’s slug', async () => {
    const slug = await pretendSlug(p, app, { release: './migrate.sh' });
    const pending = p.services.releases.createFromApi(app, { slug: slug.id });
    p.services.apps.updateConfigVars(app.name, { FOO: 'bar' });
    const v4 = p.services.releases.get(p.app(app.name), '4');
    expect(v4.artifact).toEqual({ type: 'slug', id: slug.id });
    expect(pending.status).toBe('pending');
  });

  it('a phase the daemon was killed in is failed on the next start, and its release dyno removed', async () => {
    const slug = await pretendSlug(p, app, { release: './migrate.sh' });
    const pending = p.services.releases.createFromApi(app, { slug: slug.id });
    // The killed daemon's release dyno, still running.
    await p.engine.start({ image: slug.image ?? '', cmd: ['sleep', 'infinity'], labels: { app: app.id, role: 'release', dyno: 'release.1234', release: pending.id } });
    p.services.releases.recover();
    await p.services.dynos.recover();
    expect(p.services.releases.get(app, '3').status).toBe('failed');
    expect(p.services.releases.current(app)?.version).toBe(2);
    expect(apiLines().at(-1)).toBe(`Release v3 command failed by user ${EMAIL}`);
    expect(await p.engine.listByLabel({ app: app.id, role: 'release' })).toEqual([]);
  });

  it('a release without a release command has no output stream and is current at once', async () => {
    const slug = await pretendSlug(p, app, { web: 'node server.js' });
    const made = p.services.releases.createFromApi(app, { slug: slug.id });
    expect(made).toMatchObject({ status: 'succeeded', current: true, outputStreamUrl: null });
  });
});

describe('what dynos run across releases', () => {
  async function workerUp(): Promise<import('../../src/runtime/memory/index.js').ScriptedProcess> {
    await p.services.dynos.scale(p.app(app.name), [{ type: 'worker', quantity: 1 }]);
    return p.engine.started({ dyno: 'worker.1' });
  }

  it('dynos keep the old release while the new one’s phase runs, and move to it once it passes', async () => {
    const v3 = await release({ worker: 'node worker.js' });
    const old = await workerUp();
    expect(old.spec.labels.release).toBe(v3.id);
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    p.engine.script((spec) => spec.labels.role === 'release', () => held);
    const slug = await pretendSlug(p, app, { release: './migrate.sh', worker: 'node worker.js' });
    const pending = p.services.releases.createFromApi(p.app(app.name), { slug: slug.id });
    const phase = p.services.releases.startPhase(pending);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(old.running).toBe(true);
    const next = p.engine.started({ dyno: 'worker.1', release: pending.id });
    finish();
    await phase;
    const fresh = await next;
    expect(fresh.spec.image).toBe(slug.image);
    expect(old.signals[0]).toBe('SIGTERM');
  });

  it('a rollback restarts the dynos on the target’s slug and config', async () => {
    p.services.apps.updateConfigVars(app.name, { COLOR: 'blue' });
    const v4 = await release({ worker: 'node worker.js' });
    p.services.apps.updateConfigVars(app.name, { COLOR: 'red' });
    await release({ worker: 'node worker.js' });
    const old = await workerUp();
    const back = p.services.releases.createFromApi(p.app(app.name), { release: v4.id });
    const fresh = await p.engine.started({ dyno: 'worker.1', release: back.id });
    expect(old.running).toBe(false);
    const slug = p.store.builds.getSlug(v4.artifact?.id ?? '');
    expect(fresh.spec.image).toBe(slug?.image);
    expect(fresh.env['COLOR']).toBe('blue');
  });

  it('an app destroyed while its release phase runs: the phase ends, nothing of the app is left', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', (proc) => proc.forever());
    const slug = await pretendSlug(p, app, { release: './migrate.sh' });
    const phase = p.services.releases.startPhase(p.services.releases.createFromApi(app, { slug: slug.id }));
    await p.engine.started({ role: 'release' });
    p.services.apps.destroy(app.name);
    await phase;
    await p.services.events.settled();
    expect(p.eventErrors).toEqual([]);
    expect(await p.engine.listByLabel({ app: app.id })).toEqual([]);
  });
});

describe('POST /apps/{app}/releases', () => {
  it('with a slug: `Deploy <slug id>` with the app’s current config', async () => {
    p.services.apps.updateConfigVars(app.name, { FOO: '1' });
    const slug = await pretendSlug(p, app);
    const made = p.services.releases.createFromApi(p.app(app.name), { slug: slug.id });
    expect(made).toMatchObject({ version: 4, description: `Deploy ${slug.id.slice(0, 8)}`, config: { FOO: '1' }, artifact: { type: 'slug', id: slug.id } });
  });

  it('with a slug and a description: the description as given', async () => {
    const slug = await pretendSlug(p, app);
    expect(p.services.releases.createFromApi(app, { slug: slug.id, description: 'Promote from staging' }).description).toBe('Promote from staging');
  });

  it('a slug of another app, or none at all, is refused', async () => {
    const other = await p.createApp();
    const theirs = await pretendSlug(p, other);
    expect(thrown(() => p.services.releases.createFromApi(app, { slug: theirs.id }))).toMatchObject({ code: 'slug_not_found', status: 404 });
    expect(thrown(() => p.services.releases.createFromApi(app, { slug: randomUUID() }))).toMatchObject({ code: 'slug_not_found' });
    expect(thrown(() => p.services.releases.createFromApi(app, {}))).toMatchObject({
      status: 422,
      message: 'Give either slug (a slug id) or release (a release id or version to roll back to).',
    });
  });
});

describe('rollback', () => {
  it('to v3: a new release `Rollback to v3` with v3’s slug and config; the app’s config becomes v3’s', async () => {
    p.services.apps.updateConfigVars(app.name, { COLOR: 'blue' });
    const old = await release({ worker: 'v1 code' });
    p.services.apps.updateConfigVars(app.name, { COLOR: 'red', EXTRA: 'x' });
    await release({ worker: 'v2 code' });
    const back = p.services.releases.createFromApi(p.app(app.name), { release: String(old.version) });
    expect(back).toMatchObject({ version: 7, description: `Rollback to v${old.version}`, current: true, artifact: old.artifact, config: { COLOR: 'blue' } });
    expect(p.services.apps.configVars(app.name)).toEqual({ COLOR: 'blue' });
    expect(apiLines().slice(-2)).toEqual([`Rollback to v${old.version} by user ${EMAIL}`, `Release v7 created by user ${EMAIL}`]);
  });

  it('takes a release id, a version or vN', async () => {
    const v3 = await release({ worker: 'x' });
    await release({ worker: 'y' });
    expect(p.services.releases.createFromApi(app, { release: v3.id }).description).toBe('Rollback to v3');
    expect(p.services.releases.createFromApi(app, { release: 'v3' }).description).toBe('Rollback to v3');
  });

  it('to a release whose phase failed, or that expired, is refused in Heroku’s words', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 1);
    const failed = await release({ release: './migrate.sh' });
    expect(thrown(() => p.services.releases.createFromApi(app, { release: String(failed.version) }))).toMatchObject({
      status: 422,
      message: 'Cannot roll back to v3: it did not succeed.',
    });
    const v4 = await release({ worker: 'x' });
    p.store.releases.setStatus(app.id, v4.id, 'expired', v4.createdAt);
    expect(thrown(() => p.services.releases.createFromApi(app, { release: 'v4' }))).toMatchObject({
      status: 422,
      message: 'Cannot roll back to v4: its slug has expired.',
    });
  });

  it('to an unknown release is a 404', () => {
    expect(thrown(() => p.services.releases.createFromApi(app, { release: 'v99' }))).toMatchObject({ code: 'release_not_found', status: 404 });
  });

  it('rolling back to a release with a release command runs the phase again', async () => {
    let runs = 0;
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      () => {
        runs += 1;
      },
    );
    const v3 = await release({ release: './migrate.sh' });
    await release({ worker: 'x' });
    const back = p.services.releases.createFromApi(app, { release: v3.id });
    expect(back.status).toBe('pending');
    expect((await p.services.releases.startPhase(back)).status).toBe('succeeded');
    expect(runs).toBe(2);
  });
});

describe('release descriptions, verbatim', () => {
  it('v1 Initial release, v2 Enable Logplex', () => {
    expect(p.services.releases.list(app).map((r) => r.description)).toEqual(['Initial release', 'Enable Logplex']);
  });

  it.each([
    [{ FOO: 'x' }, 'Set FOO config vars'],
    [{ FOO: 'x', BAR: 'y' }, 'Set FOO, BAR config vars'],
  ])('config:set %j → %s', (patch, description) => {
    p.services.apps.updateConfigVars(app.name, patch);
    expect(p.services.releases.current(p.app(app.name))?.description).toBe(description);
  });

  it('config:unset → Remove FOO config vars; both at once → Set A and remove FOO config vars', () => {
    p.services.apps.updateConfigVars(app.name, { FOO: 'x' });
    p.services.apps.updateConfigVars(app.name, { FOO: null });
    expect(p.services.releases.current(p.app(app.name))?.description).toBe('Remove FOO config vars');
    p.services.apps.updateConfigVars(app.name, { FOO: 'x' });
    p.services.apps.updateConfigVars(app.name, { A: '1', FOO: null });
    expect(p.services.releases.current(p.app(app.name))?.description).toBe('Set A and remove FOO config vars');
  });

  it('a config change releases the current slug with the new config', async () => {
    const v3 = await release({ worker: 'x' });
    p.services.apps.updateConfigVars(app.name, { FOO: 'x' });
    expect(p.services.releases.current(p.app(app.name))).toMatchObject({ version: 4, artifact: v3.artifact, config: { FOO: 'x' } });
  });
});

describe('retention', () => {
  const DAY = 24 * 60 * 60 * 1000;

  /** `count` releases of their own slugs, `ageDays` old, made current one after the other. */
  async function history(count: number, ageDays: number): Promise<ReleaseRecord[]> {
    const out: ReleaseRecord[] = [];
    const at = new Date(Date.now() - ageDays * DAY).toISOString().slice(0, 19) + 'Z';
    for (let i = 0; i < count; i++) {
      const slug = await pretendSlug(p, app);
      const made = p.store.releases.insert({
        id: randomUUID(),
        appId: app.id,
        description: `Deploy ${slug.id.slice(0, 8)}`,
        status: 'succeeded',
        createdAt: at,
        artifact: { type: 'slug', id: slug.id },
        config: {},
        addonPlanNames: [],
        userId: 'u1',
        userEmail: EMAIL,
        outputStreamUrl: null,
      });
      p.store.releases.makeCurrent(app.id, made.id, at);
      out.push(made);
    }
    return out;
  }

  it('expires releases more than 20 back and older than 30 days; their slug images and blobs go', async () => {
    const made = await history(23, 40);
    // v1..v5 are more than 20 back; v1 and v2 (the app's own, made today) are young, so only v3..v5 go.
    expect(await sweepRetention(p.store, p.engine, { keepReleases: 20, keepDays: 30 })).toBe(3);
    const statuses = p.services.releases.list(app).map((r) => [r.version, r.status]);
    expect(statuses.slice(0, 6)).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
      [3, 'expired'],
      [4, 'expired'],
      [5, 'expired'],
      [6, 'succeeded'],
    ]);
    const gone = p.store.builds.getSlug(made[0]?.artifact?.id ?? '');
    expect(await p.engine.imageExists(gone?.image ?? '')).toBe(false);
    await expect(stat(gone?.blobPath ?? '')).rejects.toThrow();
    const kept = p.store.builds.getSlug(made[3]?.artifact?.id ?? '');
    expect(await p.engine.imageExists(kept?.image ?? '')).toBe(true);
  });

  it('keeps everything younger than the days, however many back', async () => {
    await history(30, 10);
    expect(await sweepRetention(p.store, p.engine, { keepReleases: 20, keepDays: 30 })).toBe(0);
  });

  it('keeps a slug a kept release still runs (a rollback to it)', async () => {
    const made = await history(22, 40);
    const first = made[0] as ReleaseRecord;
    // The newest release is a rollback to the oldest deploy: same slug.
    const back = p.services.releases.createFromApi(p.app(app.name), { release: first.id });
    expect(back.artifact).toEqual(first.artifact);
    await sweepRetention(p.store, p.engine, { keepReleases: 20, keepDays: 30 });
    expect(p.services.releases.get(app, String(first.version)).status).toBe('expired');
    const slug = p.store.builds.getSlug(first.artifact?.id ?? '');
    expect(await p.engine.imageExists(slug?.image ?? '')).toBe(true);
  });

  it('never removes an image that is not the slug’s own (no berth.slug label of that slug)', async () => {
    const made = await history(22, 40);
    const slug = p.store.builds.getSlug(made[0]?.artifact?.id ?? '');
    // Someone else's image under that name.
    p.engine.addImage(slug?.image ?? '', { labels: {} });
    await sweepRetention(p.store, p.engine, { keepReleases: 20, keepDays: 30 });
    expect(await p.engine.imageExists(slug?.image ?? '')).toBe(true);
  });

  it('expires image releases like slug releases: their images go, only those carrying that build’s label', async () => {
    const at = new Date(Date.now() - 40 * DAY).toISOString().slice(0, 19) + 'Z';
    const images: string[] = [];
    for (let i = 0; i < 22; i++) {
      const id = randomUUID();
      const ref = `berth/image:${id.replace(/-/g, '')}`;
      p.engine.addImage(ref, { labels: { 'berth.app': app.id, 'berth.image': id } });
      images.push(ref);
      p.store.images.insert({ id, appId: app.id, createdAt: at, commit: null, processes: { web: { image: ref, imageId: ref, command: 'x', entrypoint: null } } });
      const made = p.store.releases.insert({
        id: randomUUID(), appId: app.id, description: `Deploy ${id.slice(0, 8)}`, status: 'succeeded', createdAt: at,
        artifact: { type: 'image', id }, config: {}, addonPlanNames: [], userId: 'u1', userEmail: EMAIL, outputStreamUrl: null,
      });
      p.store.releases.makeCurrent(app.id, made.id, at);
    }
    // v3 and v4 are more than 20 back and old; v3's image name now belongs to someone else.
    p.engine.addImage(images[0] ?? '', { labels: {} });
    expect(await sweepRetention(p.store, p.engine, { keepReleases: 20, keepDays: 30 })).toBe(2);
    expect(p.services.releases.get(app, '4').status).toBe('expired');
    expect(await p.engine.imageExists(images[0] ?? '')).toBe(true);
    expect(await p.engine.imageExists(images[1] ?? '')).toBe(false);
    expect(await p.engine.imageExists(images[2] ?? '')).toBe(true);
  });
});
