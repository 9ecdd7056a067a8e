// The real `heroku` CLI (v11) managing app webhooks on a real daemon, and a loopback receiver that verifies each
// delivery's signature and sees, during a real deploy, the release's events before its dynos' state changes.
// webhooks:add, webhooks, webhooks:info, webhooks:update, webhooks:deliveries, webhooks:deliveries:info,
// webhooks:events, webhooks:remove.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { deploy, reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';
import { receiver, signatureOf, type Receiver } from '../webhooks/receiver.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let app: AppJson;
let hook: Receiver;
let webhookId: string;
const SECRET = '0123456789abcdef'.repeat(4);

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/** The CLI wraps warnings at the terminal width behind ` ›   `. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*›\s*/g, ' ').replace(/›\s+/g, '');
}

interface DeliveryJson {
  id: string;
  status: string;
  num_attempts: number;
  event: { id: string; include: string };
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  hook = await receiver();
  app = await createApp(daemon, 'hooks');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await hook?.close();
  await daemon?.dispose();
});

describe('heroku CLI: webhooks', () => {
  it('webhooks with none, then webhooks:add with a secret of its own', async () => {
    const none = await heroku(['webhooks', '-a', app.name]);
    expectCode(none, 0);
    expect(none.stdout).toContain(`${app.name} has no webhooks`);
    expect(none.stdout).toMatch(/Use\s+\$? ?heroku webhooks:add\s+to add one\./);

    const added = await heroku(['webhooks:add', '-a', app.name, '-i', 'api:release, dyno, api:build,api:formation', '-l', 'notify', '-u', hook.url, '-s', SECRET, '-t', 'Bearer from-cli']);
    expectCode(added, 0);
    expect(added.stderr).toContain(`Adding webhook to ${app.name}... done`);
    expect(added.stderr).toMatch(/Warning: no secret found/);

    const list = await heroku(['webhooks', '-a', app.name]);
    expectCode(list, 0);
    expect(list.stdout).toMatch(/Webhook ID\s+URL\s+Include\s+Level/);
    const row = list.stdout.split('\n').find((line) => line.includes(hook.url)) ?? '';
    expect(row).toContain('api:release,dyno,api:build,api:formation');
    expect(row).toContain('notify');
    webhookId = /[0-9a-f-]{36}/.exec(row)?.[0] ?? '';
    expect(webhookId).not.toBe('');
  });

  it('webhooks:add without a secret prints the one Berth made, once', async () => {
    const added = await heroku(['webhooks:add', '-a', app.name, '-i', 'api:app', '-l', 'sync', '-u', `${hook.url}/other`]);
    expectCode(added, 0);
    expect(added.stdout).toContain('=== Webhooks Signing Secret');
    expect(added.stdout).toMatch(/^[0-9a-f]{60}$/m);
    const id = /[0-9a-f-]{36}/.exec((await heroku(['webhooks', '-a', app.name])).stdout.split('\n').find((l) => l.includes('/other')) ?? '')?.[0] ?? '';
    const removed = await heroku(['webhooks:remove', id, '-a', app.name]);
    expectCode(removed, 0);
    expect(removed.stderr).toContain(`Removing webhook ${id} from ${app.name}... done`);
    expect((await heroku(['webhooks', '-a', app.name])).stdout).not.toContain('/other');
  });

  it('a deploy delivers signed api:build, api:release and then dyno events, each recorded', async () => {
    await deploy(daemon, app.name, fixture('lifecycle'));
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    await waitFor('the dyno up event', () => hook.received.some((r) => r.body.resource === 'dyno' && r.body.data['state'] === 'up'));
    for (const got of hook.received) {
      expect(got.headers['heroku-webhook-hmac-sha256']).toBe(signatureOf(SECRET, got.raw));
      expect(got.headers['authorization']).toBe('Bearer from-cli');
    }
    const seen = hook.received.map((r) => `${r.body.resource}:${r.body.action}:${String(r.body.data['status'] ?? r.body.data['state'])}`);
    expect(seen).toContain('build:create:pending');
    expect(seen).toContain('build:update:succeeded');
    // The release phase runs first: the release is made pending, then succeeds, and only then do its dynos start.
    const releaseMade = seen.indexOf('release:create:pending');
    const releaseDone = seen.indexOf('release:update:succeeded');
    const dynoStarting = seen.indexOf('dyno:create:starting');
    const dynoUp = seen.indexOf('dyno:update:up');
    expect(releaseMade, seen.join('\n')).toBeGreaterThanOrEqual(0);
    expect(releaseDone, seen.join('\n')).toBeGreaterThan(releaseMade);
    expect(dynoStarting, seen.join('\n')).toBeGreaterThan(releaseDone);
    expect(dynoUp, seen.join('\n')).toBeGreaterThan(dynoStarting);
    const upEvent = hook.received[dynoUp]?.body;
    expect(upEvent?.data).toMatchObject({ name: 'web.1', state: 'up', app: { name: app.name } });
    expect(upEvent?.['previous_data']).toEqual({ state: 'starting' });
  });

  it('ps:scale makes an api:formation event', async () => {
    const before = hook.received.length;
    expectCode(await heroku(['ps:scale', 'worker=0', '-a', app.name]), 0);
    await waitFor('the formation event', () => hook.received.slice(before).some((r) => r.body.resource === 'formation'));
    expect(hook.received.slice(before).find((r) => r.body.resource === 'formation')?.body).toMatchObject({ action: 'update', data: { type: 'worker', quantity: 0 } });
  });

  it('webhooks:deliveries lists every delivery, oldest first, and filters by status', async () => {
    const all = await api<DeliveryJson[]>(daemon, 'GET', `/apps/${app.name}/webhook-deliveries`);
    await waitFor('every delivery attempted', async () =>
      (await api<DeliveryJson[]>(daemon, 'GET', `/apps/${app.name}/webhook-deliveries`)).every((d) => d.status === 'succeeded'),
    );
    const result = await heroku(['webhooks:deliveries', '-a', app.name]);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/Delivery ID\s+Created\s+Status\s+Include\s+Level\s+Attempts\s+Code\s+Error\s+Next Attempt/);
    const rows = result.stdout.split('\n').filter((line) => /^\s*[0-9a-f]{8}-/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(all.length);
    expect(rows[0]).toMatch(/succeeded\s+api:build\s+notify\s+1\s+204/);
    const failed = await heroku(['webhooks:deliveries', '-a', app.name, '-s', 'failed']);
    expectCode(failed, 0);
    expect(failed.stdout).toContain(`${app.name} has no deliveries`);

    const first = all[0] as DeliveryJson;
    const info = await heroku(['webhooks:deliveries:info', first.id, '-a', app.name]);
    expectCode(info, 0);
    expect(info.stdout).toContain(`=== ${first.id}`);
    expect(info.stdout).toMatch(/Status:\s+succeeded/);
    expect(info.stdout).toContain('=== Event Payload');
    expect(info.stdout).toContain('"resource": "build"');
  });

  it('webhooks:events lists the events with resource and action', async () => {
    const result = await heroku(['webhooks:events', '-a', app.name]);
    expectCode(result, 0);
    expect(oneLine(result.stderr)).toContain('Warning: heroku webhooks:event is deprecated, please use heroku webhooks:deliveries');
    expect(result.stdout).toMatch(/Event ID\s+Resource\s+Action\s+Published At/);
    expect(result.stdout).toMatch(/release\s+create/);
    expect(result.stdout).toMatch(/dyno\s+update/);
  });

  it('webhooks:info and webhooks:update', async () => {
    const info = await heroku(['webhooks:info', webhookId, '-a', app.name]);
    expectCode(info, 0);
    expect(info.stdout).toContain(`=== ${webhookId}`);
    expect(info.stdout).toMatch(/Include:\s+api:release,dyno,api:build,api:formation/);
    expect(info.stdout).toMatch(/Level:\s+notify/);
    expect(info.stdout).toMatch(new RegExp(`URL:\\s+${hook.url}`));
    const updated = await heroku(['webhooks:update', webhookId, '-a', app.name, '-i', 'api:release', '-l', 'sync', '-u', hook.url]);
    expectCode(updated, 0);
    expect(updated.stderr).toContain(`Updating webhook ${webhookId} for ${app.name}... done`);
    const after = await heroku(['webhooks:info', webhookId, '-a', app.name]);
    expect(after.stdout).toMatch(/Include:\s+api:release$/m);
    expect(after.stdout).toMatch(/Level:\s+sync/);
    const unknown = await heroku(['webhooks:info', '01234567-89ab-4cde-8f01-23456789abcd', '-a', app.name]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("Couldn't find that webhook.");
  });
});
