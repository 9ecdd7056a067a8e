// BERTH_ADVERTISE_ADDRESS: a Postgres add-on is reached at that address by clients that are not 127.0.0.1 (dynos on
// other nodes). On Linux all of 127/8 is loopback, but pg_hba's 127.0.0.1/32 refuses a client bound to 127.0.0.2, so a
// client from 127.0.0.2 stands in for another machine.
import { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { api, createApp, volumeExists, waitFor, type AppJson } from '../support/build.js';

const ADVERTISED = '127.0.0.2';
let daemon: TestDaemon;
let app: AppJson;
let addonId: string | undefined;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { BERTH_ADVERTISE_ADDRESS: ADVERTISED } });
  app = await createApp(daemon, 'advertised');
  addonId = (await api<{ id: string }>(daemon, 'POST', `/apps/${app.name}/addons`, { plan: 'heroku-postgresql:essential-0' })).id;
}, 600_000);

afterAll(async () => {
  if (app !== undefined && daemon !== undefined) {
    await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
    await waitFor('the add-on volume to go', async () => !(await volumeExists(`berth-addon-${addonId ?? '-'}`))).catch(() => undefined);
  }
  await daemon?.dispose();
});

/** A socket that leaves from 127.0.0.2, as a connection from another node does not come from 127.0.0.1. */
function fromAdvertised(): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (options: { port: number; host: string; localAddress: string }) => Socket;
  Object.assign(socket, { connect: (port: number, host: string) => connect({ port, host, localAddress: ADVERTISED }) });
  return socket;
}

describe('a Postgres add-on behind BERTH_ADVERTISE_ADDRESS', () => {
  it('accepts a password login from a client that is not 127.0.0.1', async () => {
    const url = (await api<Record<string, string>>(daemon, 'GET', `/apps/${app.name}/config-vars`))['DATABASE_URL'] ?? '';
    expect(new URL(url).hostname).toBe(ADVERTISED);
    const client = new pg.Client({ connectionString: url, stream: fromAdvertised });
    await client.connect();
    try {
      const row = (await client.query<{ addr: string }>('SELECT host(inet_client_addr()) AS addr')).rows[0];
      expect(row?.addr).toBe(ADVERTISED);
    } finally {
      await client.end();
    }
  });
});
