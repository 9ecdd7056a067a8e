// Loopback ports for add-on servers, from their own range (a setting, between the dyno range and the kernel's
// ephemeral range): a port is taken when a stored add-on has it or something already listens on it.
import { createServer } from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `width` consecutive free ports (Redis takes two: plain and TLS); the first is returned. */
export async function allocatePorts(range: { min: number; max: number }, width: number, used: readonly number[]): Promise<number> {
  const taken = new Set<number>();
  // A stored Redis add-on holds its port and the next one.
  for (const port of used) for (let i = 0; i < 2; i++) taken.add(port + i);
  for (let port = range.min; port + width - 1 <= range.max; port++) {
    let ok = true;
    for (let i = 0; i < width && ok; i++) ok = !taken.has(port + i) && (await isFree(port + i));
    if (ok) return port;
  }
  throw new Error(`no free add-on port between ${range.min} and ${range.max}`);
}
