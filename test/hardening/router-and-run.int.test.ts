// issue 11, low items on a running daemon: the router's TLS listener mints certificates only for names it routes
// (each costs the main thread about 20 ms), and a `heroku run` whose connection drops does not leave its process
// running in a container nobody reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { appContainers, deploy, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, type DynoJson } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;
let ca: Buffer;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  ca = readFileSync(join(daemon.dataDir, 'tls', 'ca.pem'));
  app = await createApp(daemon, 'sni');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

/** Completes a TLS handshake with the router for `servername`: the certificate's names, or the handshake's error. */
function handshake(servername: string): Promise<{ names?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: daemon.ports.routerTls, servername, ca });
    socket.once('secureConnect', () => {
      const names = socket.getPeerCertificate().subjectaltname;
      socket.destroy();
      resolve({ names });
    });
    socket.once('error', (error) => resolve({ error: error.message }));
  });
}

describe('router certificates', () => {
  it("mints one for an app's name and refuses a name nobody routes", async () => {
    expect((await handshake(`${app.name}.localhost`)).names).toBe(`DNS:${app.name}.localhost`);
    const made = await handshake('made-up-name-1234.localhost');
    expect(made.names).toBeUndefined();
    expect(made.error).toBeDefined();
  });
});

describe('heroku run, connection dropped', () => {
  it('the one-off dyno is stopped and its container removed', async () => {
    const dyno = await api<DynoJson & { attach_url: string }>(daemon, 'POST', `/apps/${app.name}/dynos`, {
      command: 'sleep 600',
      attach: true,
      force_no_tty: true,
    });
    const url = new URL(dyno.attach_url);
    const socket: TLSSocket = connect({ host: url.hostname, port: Number(url.port), servername: 'localhost', ca });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.write(`${url.pathname.slice(1)}\r\n`);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    await waitFor(`${dyno.name}'s container`, async () => (await appContainers(app.id, dyno.name)).length === 1, 60_000);
    await waitFor(`${dyno.name} up`, async () => (await api<DynoJson[]>(daemon, 'GET', `/apps/${app.name}/dynos`)).some((d) => d.name === dyno.name && d.state === 'up'), 60_000);

    socket.destroy();
    await waitFor(`${dyno.name}'s container to go`, async () => (await appContainers(app.id, dyno.name)).length === 0, 60_000);
    await waitFor(`${dyno.name} to leave GET /dynos`, async () => !(await api<DynoJson[]>(daemon, 'GET', `/apps/${app.name}/dynos`)).some((d) => d.name === dyno.name), 60_000);
  });
});
