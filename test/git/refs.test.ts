import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCgiHeaders, parseRefUpdates, planPush } from '../../src/git/index.js';
import { appOfGitUrl, credentialsCommand, credentialHelper, gitUrl, parseCredentialRequest } from '../../src/cli/git-remote.js';
import { formatPs, parseConfigArgs, sseDataWriter } from '../../src/cli/commands.js';
import { loadSettings } from '../../src/settings.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

describe('planPush', () => {
  it('deploys main or master', () => {
    expect(planPush(parseRefUpdates(`${A} ${B} refs/heads/main\n`))).toMatchObject({ kind: 'deploy', branch: 'main', update: { newSha: B } });
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/master\n`))).toMatchObject({ kind: 'deploy', branch: 'master' });
  });

  it('refuses other branches, deletions, and main plus master at once', () => {
    const other = planPush(parseRefUpdates(`${A} ${B} refs/heads/feature`));
    expect(other.kind).toBe('reject');
    expect(other.kind === 'reject' && other.lines[0]).toBe(' !     Push rejected: only the main or master branch deploys, and you pushed feature.');
    expect(planPush(parseRefUpdates(`${A} ${Z} refs/heads/main`)).kind).toBe('reject');
    expect(planPush(parseRefUpdates(`${A} ${B} refs/heads/main\n${A} ${B} refs/heads/master`)).kind).toBe('reject');
    expect(planPush(parseRefUpdates(`${A} ${B} refs/notes/commits`)).kind).toBe('reject');
  });

  it('lets tags ride along, alone or with a deploy', () => {
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/tags/v1`)).kind).toBe('accept');
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/tags/v1\n${A} ${B} refs/heads/main`)).kind).toBe('deploy');
  });

  it('makes a ci/ branch a test run only for an app of a pipeline; deleting one only drops the ref', () => {
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/ci/feature-x`), false, true)).toMatchObject({ kind: 'test', branch: 'feature-x' });
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/ci/feature-x`), true, true)).toMatchObject({ kind: 'test', branch: 'feature-x' });
    expect(planPush(parseRefUpdates(`${A} ${Z} refs/heads/ci/feature-x`), false, true).kind).toBe('accept');
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/ci/feature-x`)).kind).toBe('reject');
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/ci/`), false, true).kind).toBe('reject');
    expect(planPush(parseRefUpdates(`${Z} ${B} refs/heads/ci/a\n${A} ${B} refs/heads/main`), false, true).kind).toBe('reject');
  });

  it('rejects malformed hook input', () => {
    expect(() => parseRefUpdates('nonsense')).toThrow(/Unexpected ref update line/);
  });
});

describe('parseCgiHeaders', () => {
  it('waits for the blank line, reads Status and keeps the body', () => {
    expect(parseCgiHeaders(Buffer.from('Status: 404 Not Found\r\nContent-Type: text/plain'))).toBeUndefined();
    const parsed = parseCgiHeaders(Buffer.from('Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope'));
    expect(parsed?.status).toBe(404);
    expect(parsed?.headers).toEqual([['Content-Type', 'text/plain']]);
    expect(parsed?.rest.toString()).toBe('nope');
    expect(parseCgiHeaders(Buffer.from('Content-Type: x\n\nbody'))?.status).toBe(200);
  });
});

describe('git credentials', () => {
  const settings = loadSettings({ BERTH_DATA: '/nonexistent/berth-data', BERTH_API_TLS_PORT: '5101' });

  it('parses the credential protocol', () => {
    expect(parseCredentialRequest('protocol=https\nhost=127.0.0.1:5101\npath=demo.git\n\n')).toEqual({ protocol: 'https', host: '127.0.0.1:5101', path: 'demo.git' });
  });

  it('answers nothing for other hosts, other protocols, store and erase', async () => {
    expect(await credentialsCommand(settings, 'get', 'protocol=https\nhost=example.com\n')).toBe('');
    expect(await credentialsCommand(settings, 'get', 'protocol=http\nhost=127.0.0.1:5101\n')).toBe('');
    expect(await credentialsCommand(settings, 'get', 'protocol=https\nhost=127.0.0.1:5100\n')).toBe('');
    expect(await credentialsCommand(settings, 'get', 'protocol=https\nhost=127.0.0.1:5101\n', '127.0.0.1:5100')).toBe('');
    expect(await credentialsCommand(settings, 'get', 'protocol=ftp\nhost=127.0.0.1:5100\n', '127.0.0.1:5100')).toBe('');
    expect(await credentialsCommand(settings, 'store', 'protocol=https\nhost=127.0.0.1:5101\n')).toBe('');
    expect(await credentialsCommand(settings, 'erase', '')).toBe('');
  });

  it("answers the key for the remote's loopback http host and for the heroku CLI's https git host", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-credentials-'));
    const local = loadSettings({ BERTH_DATA: dataDir });
    const http = await credentialsCommand(local, 'get', 'protocol=http\nhost=127.0.0.1:5100\npath=demo.git\n', '127.0.0.1:5100');
    expect(http).toMatch(/^username=berth\npassword=\S+\n$/);
    expect(await credentialsCommand(local, 'get', 'protocol=https\nhost=127.0.0.1:5101\n')).toBe(http);
    // The helper line names the remote's host, so a daemon on other ports is answered from a shell without its BERTH_*.
    expect(await credentialsCommand(local, 'get', 'protocol=http\nhost=127.0.0.1:35933\n', '127.0.0.1:35933')).toBe(http);
  });

  it('the helper line carries the data dir, node and the host of the remote', () => {
    const helper = credentialHelper(settings, '/opt/berth/dist/cli/credential-helper.js');
    expect(helper).toBe(`!BERTH_DATA='/nonexistent/berth-data' '${process.execPath}' '/opt/berth/dist/cli/credential-helper.js' --host '127.0.0.1:5100'`);
  });
});

describe('git remotes', () => {
  const settings = loadSettings({ BERTH_DATA: '/nonexistent/berth-data' });

  it('berth git:remote writes a loopback http URL: no certificate for any CA setting to reject', () => {
    expect(gitUrl(settings, 'demo')).toBe('http://127.0.0.1:5100/demo.git');
  });

  it("finds the app in Berth's remotes, its own and the heroku CLI's, and in no other", () => {
    expect(appOfGitUrl(settings, 'http://127.0.0.1:5100/demo.git')).toBe('demo');
    expect(appOfGitUrl(settings, 'https://127.0.0.1:5101/demo.git')).toBe('demo');
    expect(appOfGitUrl(settings, 'https://git.heroku.com/demo.git')).toBeUndefined();
    expect(appOfGitUrl(settings, 'http://127.0.0.1:5100/a/b.git')).toBeUndefined();
  });
});

describe('thin commands', () => {
  it('config:set arguments', () => {
    expect(parseConfigArgs(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(() => parseConfigArgs(['nope'])).toThrow('nope is invalid. Must be in the format FOO=bar.');
  });

  it('ps output groups dynos by type, web first', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const dyno = (name: string, type: string) => ({ name, type, command: `${type} cmd`, size: 'Basic', state: 'up', updated_at: '2026-01-01T00:05:00Z' });
    expect(formatPs([dyno('worker.1', 'worker'), dyno('web.2', 'web'), dyno('web.1', 'web')], now).split('\n')).toEqual([
      '=== web (Basic): web cmd (2)',
      '',
      'web.1: up 2026-01-01 00:05:00 (~ 5m ago)',
      'web.2: up 2026-01-01 00:05:00 (~ 5m ago)',
      '',
      '=== worker (Basic): worker cmd (1)',
      '',
      'worker.1: up 2026-01-01 00:05:00 (~ 5m ago)',
    ]);
    expect(formatPs([])).toBe('No dynos on this app');
  });

  it('log streams: SSE data fields become lines, across chunk boundaries; plain text passes through', () => {
    let out = '';
    const writer = sseDataWriter({ write: (text: string) => (out += text) });
    writer.write('id: 1\ndata: first li');
    writer.write('ne\n\nid: 2\ndata: second\n\n');
    expect(out).toBe('first line\nsecond\n');
    let plain = '';
    const passthrough = sseDataWriter({ write: (text: string) => (plain += text) });
    passthrough.write('2026-01-01T00:00:00Z app[web.1]: hi\n');
    expect(plain).toBe('2026-01-01T00:00:00Z app[web.1]: hi\n');
  });
});
