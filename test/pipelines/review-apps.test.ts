// Review apps over the real services and API on the in-memory engine: `<pipeline>-<branch slug>` set up from
// app.json's environments.review, coupled at stage review, listed, found by app; deleting runs pr-predestroy and
// destroys the app (reference: heroku-workflows.md §3.4).
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reviewAppName } from '../../src/pipelines/review-apps.js';
import { scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;
let pipelineId: string;
const ran: string[] = [];

interface ReviewJson {
  id: string;
  status: string;
  branch: string;
  message: string | null;
  app: { id: string } | null;
  pipeline: { id: string };
}

async function blob(appJson: unknown): Promise<string> {
  const path = join(p.dataDir, `source-${randomUUID()}.tgz`);
  await writeFile(path, await sourceTarball({ 'package.json': '{}', Procfile: 'web: node server.js\n', 'app.json': JSON.stringify(appJson) }));
  return pathToFileURL(path).href;
}

const APP_JSON = {
  env: { MODE: 'production' },
  scripts: { postdeploy: 'seed', 'pr-predestroy': 'cleanup' },
  environments: { review: { env: { MODE: 'review' } } },
};

async function create(branch: string, appJson: unknown = APP_JSON): Promise<{ status: number; body: ReviewJson & { message: string } }> {
  const response = await p.request('POST', '/review-apps', { branch, pipeline: pipelineId, source_blob: { url: await blob(appJson), version: null }, environment: { EXTRA: '1' } });
  return { status: response.status, body: response.body as ReviewJson & { message: string } };
}

beforeEach(async () => {
  ran.length = 0;
  p = await platform();
  scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
  p.engine.script((spec) => spec.labels.role === 'run', (proc) => {
    ran.push(`${proc.spec.cmd.at(-1)} ${proc.env['HEROKU_APP_NAME']} ${proc.env['HEROKU_BRANCH']} ${proc.env['MODE']}`);
    return 0;
  });
  pipelineId = ((await p.request('POST', '/pipelines', { name: 'shop' })).body as { id: string }).id;
});

afterEach(async () => {
  await p.services.reviewApps.settled();
  await p.services.setups.settled();
  await p.close();
});

describe('review apps', () => {
  it('names a review app <pipeline>-<branch slug>, within 30 characters', () => {
    expect(reviewAppName('shop', 'feature-x')).toBe('shop-feature-x');
    expect(reviewAppName('shop', 'Feature/Login_Form')).toBe('shop-feature-login-form');
    expect(reviewAppName('shop', 'a-very-long-branch-name-that-goes-on')).toBe('shop-a-very-long-branch-name-t');
    expect(reviewAppName('shop', 'a-very-long-branch-name-that-goes-on')?.length).toBeLessThanOrEqual(30);
    expect(reviewAppName('shop', '///')).toBeUndefined();
  });

  it('creates a review app from environments.review, coupled at review; postdeploy runs; delete runs pr-predestroy and destroys it', async () => {
    const { status, body } = await create('feature/x');
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: 'creating', branch: 'feature/x', pipeline: { id: pipelineId } });
    await p.services.reviewApps.settled();
    const created = (await p.request('GET', `/review-apps/${body.id}`)).body as ReviewJson;
    expect(created.status).toBe('created');
    const app = p.app('shop-feature-x');
    expect(created.app?.id).toBe(app.id);
    expect(p.services.apps.configVars(app.name)).toMatchObject({ MODE: 'review', EXTRA: '1', HEROKU_APP_NAME: 'shop-feature-x', HEROKU_BRANCH: 'feature/x' });
    expect((await p.request('GET', `/apps/${app.name}/pipeline-couplings`)).body).toMatchObject({ stage: 'review', pipeline: { name: 'shop' } });
    expect(((await p.request('GET', `/apps/${app.name}/review-app`)).body as ReviewJson).id).toBe(body.id);
    expect(((await p.request('GET', '/pipelines/shop/review-apps')).body as ReviewJson[]).map((r) => r.branch)).toEqual(['feature/x']);
    expect(ran).toEqual(['seed shop-feature-x feature/x review']);

    const deleting = await p.request('DELETE', `/review-apps/${body.id}`);
    expect((deleting.body as ReviewJson).status).toBe('deleting');
    await p.services.reviewApps.settled();
    expect(ran).toEqual(['seed shop-feature-x feature/x review', 'cleanup shop-feature-x feature/x review']);
    expect(((await p.request('GET', `/review-apps/${body.id}`)).body as ReviewJson).status).toBe('deleted');
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('shop-feature-x');
    expect((await p.request('GET', '/pipelines/shop/review-apps')).body).toEqual([]);
  });

  it('refuses a branch that names no app and a second review app for a branch; a bad app.json errors with no app', async () => {
    expect(await create('///')).toMatchObject({ status: 422, body: { message: '/// cannot name a review app: a branch needs letters or digits.' } });
    await create('dup');
    expect(await create('dup')).toMatchObject({ status: 422, body: { message: 'The shop pipeline already has a review app for dup.' } });
    const bad = await create('bad', { environments: { review: { formation: { web: { quantity: 'x' } } } } });
    expect(bad.body).toMatchObject({ status: 'errored', app: null, message: 'invalid app.json; environments.review.formation.web.quantity: must be a whole number, 0 or more' });
    expect((await p.request('GET', `/review-apps/${randomUUID()}`)).status).toBe(404);
  });

  it('makes one review app of a branch asked for twice at once (two first pushes); the later ask is refused', async () => {
    const [first, second] = await Promise.all([create('twice'), create('twice')]);
    expect([first.status, second.status].sort()).toEqual([201, 422]);
    expect([first, second].find((r) => r.status === 422)?.body.message).toBe('The shop pipeline already has a review app for twice.');
    const listed = (await p.request('GET', '/pipelines/shop/review-apps')).body as ReviewJson[];
    expect(listed.map((r) => r.branch)).toEqual(['twice']);
    expect(p.services.apps.list().filter((a) => a.name.startsWith('shop-twice'))).toHaveLength(1);
  });

  it('on start, setups, test runs and review apps a killed daemon left unfinished fail, saying why', async () => {
    const now = new Date().toISOString();
    const pipeline = p.services.pipelines.get('shop');
    p.store.setups.insert({ id: randomUUID(), appId: null, status: 'pending', failureMessage: null, manifestErrors: [], buildId: null, postdeployOutput: null, postdeployExitCode: null, successUrl: null, createdAt: now, updatedAt: now });
    const run = p.store.testRuns.insert({ id: randomUUID(), pipelineId: pipeline.id, status: 'running', commitBranch: 'main', commitMessage: 'm', commitSha: 'a', sourceBlobUrl: 'file:///x', message: null, setupId: null, nodeId: randomUUID(), exitCode: null, setupOutput: '', testOutput: '', secret: 's', createdAt: now, updatedAt: now });
    const review = p.store.reviewApps.insert({ id: randomUUID(), pipelineId: pipeline.id, appId: null, setupId: null, branch: 'b', status: 'creating', message: null, createdAt: now, updatedAt: now });
    p.services.setups.recover();
    p.services.testRuns.recover();
    p.services.reviewApps.recover();
    expect(p.store.setups.listPending()).toEqual([]);
    expect(p.store.testRuns.get(run.id)).toMatchObject({ status: 'errored', message: 'The Berth daemon stopped while this test run ran.' });
    expect(p.store.reviewApps.get(review.id)?.status).toBe('errored');
  });
});
