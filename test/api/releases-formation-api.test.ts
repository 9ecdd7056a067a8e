// Releases, formation and dynos through the Platform API (fastify inject() on the memory engine): the fields the
// heroku CLI reads for `releases`, `releases:rollback`, `releases:output`, `ps`, `ps:scale`, `ps:restart`,
// `ps:stop` and `run:detached`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let p: Platform;
let app: AppRecord;

beforeEach(async () => {
  p = await platform();
  app = await p.createApp();
});
afterEach(async () => {
  await p.close();
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface ReleaseBody {
  id: string;
  version: number;
  status: string;
  current: boolean;
  description: string;
  output_stream_url: string | null;
  eligible_for_rollback: boolean;
}

interface DynoBody {
  name: string;
  type: string;
  state: string;
  size: string;
  command: string;
  attach_url: string | null;
  release: { id: string; version: number };
}

async function deploy(processTypes: Record<string, string>): Promise<ReleaseBody> {
  const slug = await pretendSlug(p, app, processTypes);
  const response = await p.request('POST', `/apps/${app.name}/releases`, { slug: slug.id });
  expect(response.status, response.text).toBe(201);
  return response.body as ReleaseBody;
}

describe('releases', () => {
  it('POST {slug}: 201 with the Platform API release shape', async () => {
    const slug = await pretendSlug(p, app, { web: 'node server.js' });
    const response = await p.request('POST', `/apps/${app.name}/releases`, { slug: slug.id, description: 'Promote' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      app: { id: app.id, name: app.name },
      version: 3,
      description: 'Promote',
      status: 'succeeded',
      current: true,
      slug: { id: slug.id },
      artifacts: [{ type: 'slug', id: slug.id }],
      addon_plan_names: [],
      output_stream_url: null,
      eligible_for_rollback: true,
      user: { email: 'dev@example.test' },
    });
    expect((response.body as ReleaseBody).id).toMatch(ID);
  });

  it('POST {release}: a rollback, `Rollback to v3`, current', async () => {
    await deploy({ web: 'a' });
    await deploy({ web: 'b' });
    const response = await p.request('POST', `/apps/${app.name}/releases`, { release: '3' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ version: 5, description: 'Rollback to v3', current: true });
  });

  it('POST {} is a 422 invalid_params in Heroku’s words', async () => {
    const response = await p.request('POST', `/apps/${app.name}/releases`, {});
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ id: 'invalid_params', message: 'Give either slug (a slug id) or release (a release id or version to roll back to).' });
  });

  it('with a release phase: 201 pending with output_stream_url; the stream has the output; then succeeded', async () => {
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        proc.print('migrated 3 tables');
      },
    );
    const pending = await deploy({ release: './migrate.sh', web: 'node server.js' });
    expect(pending).toMatchObject({ status: 'pending', current: false, eligible_for_rollback: false });
    expect(pending.output_stream_url).toMatch(/^http:\/\/127\.0\.0\.1:5100\/streams\/releases\//);
    const output = await p.api.inject({ method: 'GET', url: new URL(pending.output_stream_url ?? '').pathname });
    expect(output.statusCode).toBe(200);
    expect(output.body).toBe('migrated 3 tables\n');
    await until(async () => ((await p.request('GET', `/apps/${app.name}/releases/${pending.id}`)).body as ReleaseBody).status !== 'pending', 'the phase');
    expect((await p.request('GET', `/apps/${app.name}/releases/v3`)).body).toMatchObject({ status: 'succeeded', current: true });
  });

  it('a release phase that fails: the release is failed, v2 stays current', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 1);
    const pending = await deploy({ release: './migrate.sh' });
    await until(async () => ((await p.request('GET', `/apps/${app.name}/releases/${pending.id}`)).body as ReleaseBody).status !== 'pending', 'the phase');
    const list = (await p.request('GET', `/apps/${app.name}/releases`)).body as ReleaseBody[];
    expect(list.map((r) => [r.version, r.status, r.current])).toEqual([
      [1, 'succeeded', false],
      [2, 'succeeded', true],
      [3, 'failed', false],
    ]);
  });

  it('a release output stream with the wrong secret is a 404', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 0);
    const pending = await deploy({ release: './migrate.sh' });
    const response = await p.api.inject({ method: 'GET', url: `/streams/releases/${pending.id}/${'0'.repeat(48)}` });
    expect(response.statusCode).toBe(404);
  });

  it('GET /releases/{v}/config-vars answers that release’s config, not the app’s', async () => {
    await p.request('PATCH', `/apps/${app.name}/config-vars`, { A: '1' });
    await p.request('PATCH', `/apps/${app.name}/config-vars`, { A: '2' });
    expect((await p.request('GET', `/apps/${app.name}/releases/3/config-vars`)).body).toEqual({ A: '1' });
    expect((await p.request('GET', `/apps/${app.name}/releases/4/config-vars`)).body).toEqual({ A: '2' });
  });
});

describe('formation', () => {
  it('the first deploy: web at 1, the other types at 0, with their commands and size Basic', async () => {
    await deploy({ web: 'node server.js', worker: 'node worker.js' });
    const list = (await p.request('GET', `/apps/${app.name}/formation`)).body as Array<Record<string, unknown>>;
    expect(list.map((f) => [f['type'], f['quantity'], f['size'], f['command']])).toEqual([
      ['web', 1, 'Basic', 'node server.js'],
      ['worker', 0, 'Basic', 'node worker.js'],
    ]);
    expect(list[0]).toMatchObject({ app: { id: app.id, name: app.name }, dyno_size: { name: 'Basic' } });
  });

  it('PATCH /formation scales; the dynos come up as worker.1, worker.2 on the current release', async () => {
    const release = await deploy({ worker: 'node worker.js' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation`, { updates: [{ type: 'worker', quantity: 2 }] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject([{ type: 'worker', quantity: 2 }]);
    await until(async () => ((await p.request('GET', `/apps/${app.name}/dynos`)).body as DynoBody[]).filter((d) => d.state === 'up').length === 2, 'two dynos up');
    const dynos = (await p.request('GET', `/apps/${app.name}/dynos`)).body as DynoBody[];
    expect(dynos.map((d) => [d.name, d.type, d.size, d.command, d.attach_url])).toEqual([
      ['worker.1', 'worker', 'Basic', 'node worker.js', null],
      ['worker.2', 'worker', 'Basic', 'node worker.js', null],
    ]);
    expect(dynos[0]?.release).toEqual({ id: release.id, version: 3 });
  });

  it('PATCH /formation/{type} to 0: the dynos stop and leave the list', async () => {
    await deploy({ worker: 'node worker.js' });
    await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: 1 });
    const worker = await p.engine.started({ dyno: 'worker.1' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: 0 });
    expect(response.body).toMatchObject({ type: 'worker', quantity: 0 });
    await until(() => !worker.running, 'worker.1 to stop');
    expect(worker.signals[0]).toBe('SIGTERM');
    await until(async () => ((await p.request('GET', `/apps/${app.name}/dynos`)).body as DynoBody[]).length === 0, 'an empty list');
  });

  it('a size change is shown on the formation', async () => {
    await deploy({ worker: 'node worker.js' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation/worker`, { size: 'Standard-2X' });
    expect(response.body).toMatchObject({ type: 'worker', size: 'Standard-2X', dyno_size: { name: 'Standard-2X' } });
  });

  it('scaling a type the slug does not declare is a 404: Couldn’t find that process type', async () => {
    await deploy({ worker: 'node worker.js' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation`, { updates: [{ type: 'clock', quantity: 1 }] });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ id: 'not_found', resource: 'formation', message: "Couldn't find that process type (clock)." });
  });

  it.each([
    ['-1', 'Quantity cannot be less than 0.'],
    ['lots', 'Invalid quantity: lots. Use a number, or +N / -N.'],
  ])('quantity %s is a 422: %s', async (quantity, message) => {
    await deploy({ worker: 'node worker.js' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ id: 'invalid_params', message });
  });

  it('relative quantities (+2, then -1) change the count from where it is', async () => {
    await deploy({ worker: 'node worker.js' });
    await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: '+2' });
    const response = await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: '-1' });
    expect(response.body).toMatchObject({ type: 'worker', quantity: 1 });
  });
});

describe('dynos', () => {
  it('GET /dynos/{name}; an unknown dyno is a 404 in Heroku’s shape', async () => {
    await deploy({ worker: 'node worker.js' });
    await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: 1 });
    await p.engine.started({ dyno: 'worker.1' });
    expect((await p.request('GET', `/apps/${app.name}/dynos/worker.1`)).body).toMatchObject({ name: 'worker.1', type: 'worker' });
    const missing = await p.request('GET', `/apps/${app.name}/dynos/worker.9`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ id: 'not_found' });
  });

  it('DELETE /dynos/{name} (ps:restart) answers 202; the dyno gets SIGTERM and comes back in a new container', async () => {
    await deploy({ worker: 'node worker.js' });
    await p.request('PATCH', `/apps/${app.name}/formation/worker`, { quantity: 1 });
    const first = await p.engine.started({ dyno: 'worker.1' });
    const response = await p.request('DELETE', `/apps/${app.name}/dynos/worker.1`);
    expect(response.status).toBe(202);
    await until(() => !first.running, 'the old process to end');
    expect(first.signals[0]).toBe('SIGTERM');
    const second = await p.engine.started({ dyno: 'worker.1' });
    expect(second.id).not.toBe(first.id);
  });

  it('DELETE /dynos of an unknown dyno is a 404', async () => {
    const response = await p.request('DELETE', `/apps/${app.name}/dynos/web.7`);
    expect(response.status).toBe(404);
  });

  it('POST /dynos (run:detached): 201 run.N, no attach_url; its output reaches the log; app[api] line', async () => {
    await deploy({ worker: 'node worker.js' });
    p.engine.script(
      (spec) => spec.labels.role === 'run',
      (proc) => {
        proc.print('hello from one-off');
      },
    );
    const response = await p.request('POST', `/apps/${app.name}/dynos`, { command: 'node task.js', attach: false });
    expect(response.status).toBe(201);
    const dyno = response.body as DynoBody;
    expect(dyno).toMatchObject({ type: 'run', command: 'node task.js', attach_url: null, size: 'Basic' });
    expect(dyno.name).toMatch(/^run\.\d+$/);
    await until(() => p.lines(app).some((line) => line === `app[${dyno.name}]: hello from one-off`), 'the one-off’s output');
    expect(p.lines(app)).toContain('app[api]: Starting process with command `node task.js` by user dev@example.test');
  });

  it('POST /dynos with attach: an attach_url on the rendezvous', async () => {
    await deploy({ worker: 'node worker.js' });
    const response = await p.request('POST', `/apps/${app.name}/dynos`, { command: 'bash', attach: true });
    expect(response.status).toBe(201);
    expect((response.body as DynoBody).attach_url).toMatch(/^rendezvous:\/\/127\.0\.0\.1:5102\/[0-9a-f]+$/);
  });
});
