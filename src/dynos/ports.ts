// $PORT for each dyno instance, from a range below the kernel's ephemeral ports. A port is probed before it is
// handed out (something else on the host may hold it) and given back when that container is gone.
//
// Ports stay unique across the whole Berth even when dynos run on several nodes (a swarm), though two nodes could
// each use a port once: the engine places a dyno on whichever node it likes and moves it after a node leaves, and
// every dyno shares its node's host network, so only a Berth-wide unique `$PORT` is sure to be free wherever it lands;
// nodes on one machine (the tests' dockerds) share one network anyway. The probe sees only the manager's machine.
import { createServer } from 'node:net';

function free(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export class PortPool {
  readonly #inUse = new Set<number>();
  readonly #min: number;
  readonly #max: number;
  readonly #host: string;
  #next: number;

  constructor(min: number, max: number, host = '127.0.0.1') {
    this.#min = min;
    this.#max = max;
    this.#next = min;
    this.#host = host;
  }

  /** Marks a port taken (an adopted dyno keeps its port across a daemon restart). */
  claim(port: number): void {
    this.#inUse.add(port);
  }

  async take(): Promise<number> {
    const span = this.#max - this.#min + 1;
    for (let tried = 0; tried < span; tried++) {
      const port = this.#next;
      this.#next = port >= this.#max ? this.#min : port + 1;
      if (this.#inUse.has(port)) continue;
      this.#inUse.add(port);
      if (await free(this.#host, port)) return port;
      this.#inUse.delete(port);
    }
    throw new Error(`No free dyno port between ${this.#min} and ${this.#max}.`);
  }

  release(port: number | null): void {
    if (port !== null) this.#inUse.delete(port);
  }
}
