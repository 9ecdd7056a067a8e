// $PORT for dynos: handed out in turn from the configured range, never one in use by a dyno or held by something
// else on the host, given back when the dyno is gone.
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortPool } from '../../src/dynos/ports.js';

/** A window of ports of this test's own, below the kernel's ephemeral range (parallel files use others). */
const base = 22000 + randomInt(0, 300) * 20;

function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

describe('dyno ports', () => {
  it('hands out the range in turn, skipping ports claimed by adopted dynos', async () => {
    const pool = new PortPool(base, base + 3);
    pool.claim(base + 1);
    expect([await pool.take(), await pool.take(), await pool.take()]).toEqual([base, base + 2, base + 3]);
  });

  it('skips a port something else on the host holds', async () => {
    const server = await hold(base + 5);
    try {
      const pool = new PortPool(base + 5, base + 6);
      expect(await pool.take()).toBe(base + 6);
    } finally {
      server.close();
    }
  });

  it('says so when every port is taken (by its dynos or by anything else)', async () => {
    const server = await hold(base + 9);
    try {
      const pool = new PortPool(base + 8, base + 9);
      pool.claim(base + 8);
      await expect(pool.take()).rejects.toThrow(`No free dyno port between ${base + 8} and ${base + 9}.`);
    } finally {
      server.close();
    }
  });

  it('a port given back is handed out again', async () => {
    const pool = new PortPool(base + 10, base + 11);
    const first = await pool.take();
    await pool.take();
    pool.release(first);
    expect(await pool.take()).toBe(first);
  });
});
