// The rendezvous service `heroku run` attaches through (reference heroku-cli-and-api.md §5.3): TLS with a
// certificate from the local CA, the client sends `<secret>\r\n`, the server answers `rendezvous\r\n` in its own
// write (the CLI drops the first chunk), then the socket carries the process's raw output one way and the user's
// input the other; closing the socket ends the CLI.
import { createServer, type Server, type TLSSocket } from 'node:tls';

interface Waiting {
  resolve(socket: TLSSocket): void;
  timer: NodeJS.Timeout;
}

export class Rendezvous {
  readonly #waiting = new Map<string, Waiting>();
  #server: Server | undefined;

  /** Starts listening; `tls` is the key and certificate (with an IP SAN for the host clients connect to). */
  async listen(host: string, port: number, tls: { key: string; cert: string }): Promise<void> {
    const server = createServer({ key: tls.key, cert: tls.cert }, (socket) => this.#accept(socket));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
  }

  #accept(socket: TLSSocket): void {
    let buffered = '';
    socket.setTimeout(10_000, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\n');
      if (end === -1) {
        if (buffered.length > 512) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      const secret = buffered.slice(0, end).trim();
      const rest = Buffer.from(buffered.slice(end + 1), 'latin1');
      const waiting = this.#waiting.get(secret);
      if (!waiting) {
        socket.end();
        return;
      }
      this.#waiting.delete(secret);
      clearTimeout(waiting.timer);
      if (rest.length > 0) socket.unshift(rest);
      waiting.resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  }

  /** Waits for the client that knows `secret`; undefined after `timeoutSeconds` without one. */
  expect(secret: string, timeoutSeconds: number): Promise<TLSSocket | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(secret);
        resolve(undefined);
      }, timeoutSeconds * 1000);
      timer.unref();
      this.#waiting.set(secret, { resolve, timer });
    });
  }

  async close(): Promise<void> {
    for (const waiting of this.#waiting.values()) clearTimeout(waiting.timer);
    this.#waiting.clear();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
