// `git push` to a real daemon with the real git: Heroku's output, failures, branches, history rewrites, concurrency.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_MAIN, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { api, fixtureRepo, git, httpsGitUrl, inOrder, releases, remoteLines, runGit, trustArgs } from './helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
let repo: string;
let first = '';
const APP = 'pushed';

beforeAll(async () => {
  daemon = await startTestDaemon();
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  await daemon?.dispose();
});

function berth(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { cwd, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('git push', () => {
  it('berth git:remote, then `git push local main` deploys with no prompt and Heroku\'s output, whatever GIT_SSL_CAINFO says', async () => {
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: APP } })).status).toBe(201);
    repo = await fixtureRepo(daemon, 'node-basic', env);
    first = await git(['rev-parse', 'HEAD'], env, repo);
    const remote = berth(['git:remote', '-a', APP], repo);
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    expect(remote.stdout.trim()).toBe(`set git remote local to http://127.0.0.1:${daemon.ports.api}/${APP}.git`);

    // As on corporate machines: git's CA bundle set for the whole environment, and it is not Berth's CA.
    const push = await runGit(['push', 'local', 'main'], { ...env, GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt' }, repo);
    expect(push.code, push.stderr).toBe(0);
    const lines = remoteLines(push);
    expect(
      inOrder(lines, [
        'Compressing source files... done.',
        'Building source:',
        '',
        '-----> Building on the Heroku-24 stack',
        '-----> Node.js app detected',
        '-----> Build succeeded!',
        '-----> Discovering process types',
        '       Procfile declares types -> web',
        '-----> Launching...',
        '       Released v3',
        `       http://${APP}.localhost:${daemon.ports.router}/ deployed to Berth`,
        '',
        'Verifying deploy... done.',
      ]),
    ).toBeUndefined();
    expect(push.lines).toContain(`To http://127.0.0.1:${daemon.ports.api}/${APP}.git`);
    expect(push.lines).toContain(' * [new branch]      main -> main');
    const list = await releases(daemon, APP);
    expect(list.at(-1)).toMatchObject({ version: 3, description: `Deploy ${first.slice(0, 8)}` });
  });

  it('a failed build rejects the push, leaves the releases and the branch as they were', async () => {
    const before = await releases(daemon, APP);
    const broken = await fixtureRepo(daemon, 'build-fails', env);
    const push = await runGit([...trustArgs(daemon), 'push', '--force', httpsGitUrl(daemon, APP, daemon.apiKey), 'main'], env, broken);
    expect(push.code).toBe(1);
    const lines = remoteLines(push);
    expect(lines).toContain(' !     Push rejected, failed to compile Node.js app.');
    expect(inOrder(lines, [' !     Push failed', 'Verifying deploy...', '', `!\tPush rejected to ${APP}.`, ''])).toBeUndefined();
    expect(push.lines).toContain(' ! [remote rejected] main -> main (pre-receive hook declined)');
    expect(push.stderr).toContain('error: failed to push some refs');
    expect(await releases(daemon, APP)).toEqual(before);
    const remoteHead = await git(['ls-remote', 'local', 'refs/heads/main'], env, repo);
    expect(remoteHead.split(/\s+/)[0]).toBe(first);
  });

  it('refuses another branch with Heroku-style lines, and refuses deleting a branch', async () => {
    await git(['branch', '--force', 'feature'], env, repo);
    const push = await runGit(['push', 'local', 'feature'], env, repo);
    expect(push.code).toBe(1);
    expect(remoteLines(push)).toContain(' !     Push rejected: only the main or master branch deploys, and you pushed feature.');
    expect(push.lines).toContain(' ! [remote rejected] feature -> feature (pre-receive hook declined)');
    const remove = await runGit(['push', 'local', ':main'], env, repo);
    expect(remove.code).toBe(1);
    expect(remove.stderr).toMatch(/\[remote rejected\] main \(deletion prohibited\)|pre-receive hook declined/);
  });

  it('deploys a new commit, then a force push of the older commit', async () => {
    writeFileSync(join(repo, 'CHANGED.txt'), 'second commit\n');
    await git(['add', 'CHANGED.txt'], env, repo);
    await git(['commit', '--quiet', '-m', 'second'], env, repo);
    const second = await git(['rev-parse', 'HEAD'], env, repo);
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('       Released v4');
    expect(push.lines).toContain(`   ${first.slice(0, 7)}..${second.slice(0, 7)}  main -> main`);

    const back = await runGit(['push', '--force', 'local', 'HEAD~1:main'], env, repo);
    expect(back.code, back.stderr).toBe(0);
    expect(remoteLines(back)).toContain('       Released v5');
    expect(back.lines).toContain(` + ${second.slice(0, 7)}...${first.slice(0, 7)} HEAD~1 -> main (forced update)`);
    expect((await releases(daemon, APP)).at(-1)).toMatchObject({ version: 5, description: `Deploy ${first.slice(0, 8)}` });
  });

  it('two pushes at once: the second waits and says so, both deploy, the repo stays sound', async () => {
    // main is at `first`; push a new commit to main and, at the same time, a different one to master.
    const other = await fixtureRepo(daemon, 'node-basic', env);
    writeFileSync(join(other, 'OTHER.txt'), 'other\n');
    await git(['add', '.'], env, other);
    await git(['commit', '--quiet', '-m', 'other'], env, other);
    await git(['checkout', '--quiet', '-b', 'master'], env, other);
    const url = httpsGitUrl(daemon, APP, daemon.apiKey);
    writeFileSync(join(repo, 'THIRD.txt'), 'third\n');
    await git(['reset', '--quiet', '--hard', first], env, repo);
    writeFileSync(join(repo, 'THIRD.txt'), 'third\n');
    await git(['add', '.'], env, repo);
    await git(['commit', '--quiet', '-m', 'third'], env, repo);
    const [a, b] = await Promise.all([
      runGit(['push', 'local', 'main'], env, repo),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() => runGit([...trustArgs(daemon), 'push', url, 'master'], env, other)),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const waited = [...remoteLines(a), ...remoteLines(b)].filter((line) => /^-----> Waiting for another (push|build)/.test(line));
    expect(waited.length).toBeGreaterThanOrEqual(1);
    const versions = [...remoteLines(a), ...remoteLines(b)].filter((line) => /^ {7}Released v\d+$/.test(line)).sort();
    expect(versions).toEqual(['       Released v6', '       Released v7']);
    const bare = join(daemon.dataDir, 'repos');
    const app = (await api<{ id: string }>(daemon, `/apps/${APP}`)).body;
    const fsck = spawnSync('git', ['fsck', '--strict'], { cwd: join(bare, `${app.id}.git`), encoding: 'utf8' });
    expect(fsck.status, fsck.stderr).toBe(0);
  });

  it('two pushes at once to main from the same base: one deploys, the other is rejected after waiting', async () => {
    const base = await git(['rev-parse', 'HEAD'], env, repo);
    const url = httpsGitUrl(daemon, APP, daemon.apiKey);
    const clone = join(daemon.rootDir, 'clone-race');
    await git([...trustArgs(daemon), 'clone', '--quiet', url, clone], env, daemon.rootDir);
    await git(['reset', '--quiet', '--hard', base], env, clone);
    writeFileSync(join(clone, 'RACE.txt'), 'clone\n');
    await git(['add', '.'], env, clone);
    await git(['commit', '--quiet', '-m', 'race clone'], env, clone);
    writeFileSync(join(repo, 'RACE.txt'), 'repo\n');
    await git(['add', '.'], env, repo);
    await git(['commit', '--quiet', '-m', 'race repo'], env, repo);
    const before = (await releases(daemon, APP)).length;
    const [a, b] = await Promise.all([
      runGit(['push', 'local', 'main'], env, repo),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() => runGit([...trustArgs(daemon), 'push', url, 'main'], env, clone)),
    ]);
    const results = [a, b];
    expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
    const loser = results.find((r) => r.code === 1);
    expect(loser && remoteLines(loser).some((line) => line.startsWith(' !     Push rejected: main was updated by another push'))).toBe(true);
    expect((await releases(daemon, APP)).length).toBe(before + 1);
    const winner = results.find((r) => r.code === 0);
    const winnerSha = await git(['rev-parse', 'HEAD'], env, winner === a ? repo : clone);
    const remoteHead = await git([...trustArgs(daemon), 'ls-remote', url, 'refs/heads/main'], env, repo);
    expect(remoteHead.split(/\s+/)[0]).toBe(winnerSha);
  });
});

describe('auth, auto-create, transports', () => {
  it('a wrong key answers 401 and git says Authentication failed; no key and no prompt fails too', async () => {
    const repo2 = await fixtureRepo(daemon, 'node-basic', env);
    const wrong = await runGit([...trustArgs(daemon), 'push', httpsGitUrl(daemon, 'wrongkey', 'not-the-key'), 'main'], env, repo2);
    expect(wrong.code).toBe(128);
    expect(wrong.stderr).toContain(`fatal: Authentication failed for 'https://127.0.0.1:${daemon.ports.apiTls}/wrongkey.git/'`);
    const none = await runGit([...trustArgs(daemon), 'push', httpsGitUrl(daemon, 'wrongkey'), 'main'], env, repo2);
    expect(none.code).toBe(128);
    expect(none.stderr).toContain('terminal prompts disabled');
    expect((await api(daemon, '/apps/wrongkey')).status).toBe(404);
  });

  it('the first push to an unknown app creates it; http on the API port works too; destroying the app removes its repo', async () => {
    const repo3 = await fixtureRepo(daemon, 'node-basic', env);
    const url = `http://berth:${daemon.apiKey}@127.0.0.1:${daemon.ports.api}/autocreated.git`;
    const push = await runGit(['push', url, 'main'], env, repo3);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('       Released v3');
    const app = await api<{ id: string; name: string }>(daemon, '/apps/autocreated');
    expect(app.status).toBe(200);
    const bare = join(daemon.dataDir, 'repos', `${app.body.id}.git`);
    expect(existsSync(bare)).toBe(true);

    // A gzip request body (git gzips large upload-pack requests): a protocol v0 `want` + `done`, inflated by git.
    const head = await git(['rev-parse', 'HEAD'], env, repo3);
    const pkt = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
    const request = gzipSync(Buffer.from(`${pkt(`want ${head}\n`)}0000${pkt('done\n')}`));
    const response = await fetch(`${daemon.apiUrl}/autocreated.git/git-upload-pack`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`berth:${daemon.apiKey}`).toString('base64')}`,
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
      },
      body: request,
    });
    expect(response.status).toBe(200);
    const pack = Buffer.from(await response.arrayBuffer());
    expect(pack.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(pack.includes(Buffer.from('PACK'))).toBe(true);

    expect((await api(daemon, '/apps/autocreated', { method: 'DELETE' })).status).toBe(200);
    // Removed after the answer: poll up to a generous bound (5 s was not enough on a loaded machine).
    const deadline = Date.now() + 60_000;
    while (existsSync(bare) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(bare)).toBe(false);
  });

  it('clone needs the key and gives back what was pushed', async () => {
    const target = join(daemon.rootDir, 'clone-check');
    const cloned = await runGit([...trustArgs(daemon), 'clone', '--quiet', httpsGitUrl(daemon, APP, daemon.apiKey), target], env, daemon.rootDir);
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(existsSync(join(target, 'server.js'))).toBe(true);
    const unknown = await runGit([...trustArgs(daemon), 'ls-remote', httpsGitUrl(daemon, 'nosuchapp', daemon.apiKey)], env, daemon.rootDir);
    expect(unknown.code).toBe(128);
    expect((await api(daemon, '/apps/nosuchapp')).status).toBe(404);
  });
});
