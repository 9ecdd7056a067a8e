// `heroku run:inside web.1 <command>` on the memory engine: `POST /apps/{app}/dynos/{dyno}` answers the dyno with a
// rendezvous attach_url; the client that brings its secret gets the command's output from an exec in the dyno's
// container, its input reaches the command, and the dyno keeps running afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { ensureCa } from '../../src/tls/index.js';
import { platform, type Platform } from '../support/platform.js';
import { freePort } from '../support/ports.js';
import { pretendSlug } from '../support/slugs.js';

let p: Platform;
let app: AppRecord;
let caDir: string;
let cert: { keyPem: string; certPem: string };

// One CA for the file: making its key is the slow part.
beforeAll(async () => {
  caDir = await mkdtemp(join(tmpdir(), 'berth-run-inside-'));
  cert = (await ensureCa(caDir)).issue({ ipAddresses: ['127.0.0.1'] });
});
afterAll(async () => {
  await rm(caDir, { recursive: true, force: true });
});

beforeEach(async () => {
  const port = await freePort();
  p = await platform({ BERTH_RENDEZVOUS_PORT: String(port) });
  await p.services.rendezvous.listen('127.0.0.1', port, { key: cert.keyPem, cert: cert.certPem });
  app = await p.createApp();
  p.engine.script(/node server\.js/, async (proc) => {
    await proc.listen();
    await proc.forever();
  });
});
afterEach(async () => {
  await p.services.rendezvous.close();
  await p.close();
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface DynoBody {
  name: string;
  state: string;
  attach_url: string | null;
}

async function webUp(): Promise<void> {
  const slug = await pretendSlug(p, app, { web: 'node server.js' });
  expect((await p.request('POST', `/apps/${app.name}/releases`, { slug: slug.id })).status).toBe(201);
  await until(async () => {
    const dynos = (await p.request('GET', `/apps/${app.name}/dynos`)).body as DynoBody[];
    return dynos.some((d) => d.name === 'web.1' && d.state === 'up');
  }, 'web.1 up');
}

/** Connects as the CLI does: the secret line, then everything after the first chunk (`rendezvous`) is output. */
async function attach(url: string, input?: string): Promise<string> {
  const target = new URL(url);
  const socket: TLSSocket = connect({ host: target.hostname, port: Number(target.port), rejectUnauthorized: false });
  const chunks: string[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => chunks.push(chunk));
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  socket.write(`${target.pathname.slice(1)}\r\n`);
  if (input !== undefined) {
    await until(() => chunks.length > 0, 'the rendezvous line');
    socket.write(`${input}\u0004`);
  }
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return chunks.join('');
}

describe('run:inside', () => {
  it("runs the command in the dyno's own container, its exit status carried in the output, and the dyno stays up", async () => {
    await webUp();
    const web = p.services.dynos.dyno(app, 'web.1');
    let ranIn = '';
    p.engine.onExec(
      (cmd) => cmd[0] === 'bash' && cmd[4]?.startsWith('echo hi') === true,
      (exec) => {
        ranIn = exec.container.id;
        exec.print(`hi from ${exec.env['DYNO'] ?? '?'}`);
        exec.print('\uFFFF heroku-command-exit-status: 3');
        return 3;
      },
    );
    const response = await p.request('POST', `/apps/${app.name}/dynos/web.1`, { command: 'echo hi ; echo "\uFFFF heroku-command-exit-status: $?"', env: { TERM: 'dumb' } });
    expect(response.status, response.text).toBe(201);
    const body = response.body as DynoBody;
    expect(body.name).toBe('web.1');
    expect(body.attach_url).toMatch(/^rendezvous:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{48}$/);
    const output = await attach(body.attach_url ?? '');
    expect(output).toBe('rendezvous\r\nhi from web.1\r\n\uFFFF heroku-command-exit-status: 3\r\n');
    expect(ranIn).toBe(web.containerId);
    const after = (await p.request('GET', `/apps/${app.name}/dynos/web.1`)).body as DynoBody;
    expect(after.state).toBe('up');
    expect(p.services.dynos.dyno(app, 'web.1').containerId).toBe(web.containerId);
    expect(p.lines(app)).toContain('app[api]: Starting process with command `echo hi ; echo "\uFFFF heroku-command-exit-status: $?"` by user dev@example.test');
  });

  it('without a tty, piped input reaches the command and EOT closes its stdin', async () => {
    await webUp();
    p.engine.onExec(
      (cmd) => cmd[4] === 'cat',
      async (exec) => {
        let input = '';
        for await (const chunk of exec.stdin) input += String(chunk);
        exec.write(input.toUpperCase());
      },
    );
    const response = await p.request('POST', `/apps/${app.name}/dynos/web.1`, { command: 'cat', force_no_tty: true });
    const output = await attach((response.body as DynoBody).attach_url ?? '', 'piped\nlines\n');
    expect(output).toBe('rendezvous\r\nPIPED\nLINES\n');
  });

  it('a dyno that does not exist is a 404; one that is not up a 422', async () => {
    const missing = await p.request('POST', `/apps/${app.name}/dynos/web.9`, { command: 'bash' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ id: 'not_found', message: "Couldn't find that process.", resource: 'dyno' });
    p.engine.script(/node server\.js/, (proc) => proc.forever());
    const slug = await pretendSlug(p, app, { web: 'node server.js' });
    await p.request('POST', `/apps/${app.name}/releases`, { slug: slug.id });
    await until(() => p.services.dynos.dynos(app).some((d) => d.name === 'web.1'), 'web.1 listed');
    const starting = await p.request('POST', `/apps/${app.name}/dynos/web.1`, { command: 'bash' });
    expect(starting.status).toBe(422);
    expect(starting.body).toEqual({ id: 'invalid_params', message: 'web.1 is not up: run:inside attaches only to a running dyno.' });
  });

  it('a command without one is refused as heroku run is', async () => {
    await webUp();
    const response = await p.request('POST', `/apps/${app.name}/dynos/web.1`, { env: {} });
    expect(response.status).toBe(422);
  });
});
