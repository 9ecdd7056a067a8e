// Where a drain's lines go: HTTPS/HTTP drains get `application/logplex-1` frames (octet-counted RFC 5424 messages,
// up to ~100 KB a POST, 3 tries per frame), syslog drains a TCP (or TLS) stream of octet-counted RFC 5424 messages.
// Each outlet buffers at most `bufferMessages` lines; beyond that the oldest are dropped and Heroku's L10 line is
// sent ahead of the next lines. Nothing here ever blocks the caller: a slow or dead drain only loses its own lines.
import { createHash, randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LogLine } from '../contracts/records.js';
import { logTimestamp, octetCounted, rfc5424Message } from './format.js';
import { l10Message } from './lines/drains.js';

/** Logplex's `drain_buffer_size`. */
export const DRAIN_BUFFER_MESSAGES = 1024;
/** Logplex's `http_drain_target_bytes`. */
export const HTTP_FRAME_TARGET_BYTES = 102_400;
/** Logplex's `http_frame_retries` (2) plus the first try. */
export const HTTP_FRAME_TRIES = 3;
export const DRAIN_USER_AGENT = 'Logplex/v72';

export interface OutletOptions {
  readonly bufferMessages?: number;
  /** Extra trust anchors (PEM) for https and syslog+tls drains, on top of the system's. */
  readonly ca?: readonly string[] | undefined;
  /** One HTTP request's timeout. */
  readonly requestTimeoutMs?: number;
  /** Pause before retrying a frame or reconnecting a syslog drain (doubles up to 30 s for syslog). */
  readonly retryDelayMs?: number;
  /** Told about delivery failures (the daemon logs them). */
  readonly onError?: (error: unknown) => void;
}

export interface OutletStats {
  /** Lines delivered (acknowledged by a 2xx, or written to the syslog socket). */
  sent: number;
  /** Lines dropped: buffer overflow plus frames that failed every try. */
  dropped: number;
  frames: number;
  failures: number;
}

export abstract class DrainOutlet {
  readonly url: URL;
  readonly token: string;
  protected readonly options: OutletOptions;
  readonly stats: OutletStats = { sent: 0, dropped: 0, frames: 0, failures: 0 };
  #buffer: LogLine[] = [];
  #head = 0;
  readonly #max: number;
  #overflow = 0;
  #overflowSince = 0;
  protected closed = false;

  constructor(url: URL, token: string, options: OutletOptions) {
    this.url = url;
    this.token = token;
    this.options = options;
    this.#max = Math.max(1, options.bufferMessages ?? DRAIN_BUFFER_MESSAGES);
  }

  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** Queues lines (dropping the oldest beyond the buffer) and makes sure delivery runs. */
  push(lines: readonly LogLine[]): void {
    if (this.closed) return;
    for (const line of lines) {
      this.#buffer.push(line);
      if (this.buffered > this.#max) {
        this.#buffer[this.#head] = undefined as unknown as LogLine;
        this.#head++;
        if (this.#overflow === 0) this.#overflowSince = Date.now();
        this.#overflow++;
        this.stats.dropped++;
      }
    }
    if (this.#head > 4096 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    this.kick();
  }

  /** Takes lines off the front of the buffer, the L10 line first when lines were dropped since the last take. */
  protected take(maxBytes: number, kind: 'http' | 'syslog'): { lines: LogLine[]; body: Buffer[]; bytes: number } {
    const lines: LogLine[] = [];
    const body: Buffer[] = [];
    let bytes = 0;
    const add = (line: LogLine): void => {
      const framed = octetCounted(rfc5424Message(line, kind, this.token));
      lines.push(line);
      body.push(framed);
      bytes += framed.length;
    };
    if (this.#overflow > 0) {
      add({ ts: logTimestamp(), source: 'heroku', dyno: 'logplex', message: l10Message(this.#overflow, this.#overflowSince) });
      this.#overflow = 0;
    }
    while (this.#head < this.#buffer.length && (bytes < maxBytes || lines.length === 0)) {
      add(this.#buffer[this.#head] as LogLine);
      this.#buffer[this.#head] = undefined as unknown as LogLine;
      this.#head++;
    }
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    }
    return { lines, body, bytes };
  }

  protected hasWork(): boolean {
    return this.buffered > 0 || this.#overflow > 0;
  }

  protected abstract kick(): void;

  /** Stops delivery; what is buffered is dropped. */
  close(): void {
    this.closed = true;
    this.#buffer = [];
    this.#head = 0;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `https://` and `http://` drains: one POST in flight at a time, each a logplex-1 frame of up to ~100 KB. */
export class HttpDrainOutlet extends DrainOutlet {
  #running = false;
  readonly #agent: HttpAgent;
  readonly #target: URL;
  readonly #authorization: string | undefined;

  constructor(url: URL, token: string, options: OutletOptions) {
    super(url, token, options);
    const target = new URL(url.href);
    if (target.username !== '' || target.password !== '') {
      const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      this.#authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      target.username = '';
      target.password = '';
    }
    this.#target = target;
    this.#agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(options.ca ? { ca: [...options.ca] } : {}) })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  protected kick(): void {
    if (this.#running || this.closed) return;
    this.#running = true;
    void this.#run().finally(() => {
      this.#running = false;
      if (this.hasWork() && !this.closed) this.kick();
    });
  }

  async #run(): Promise<void> {
    while (this.hasWork() && !this.closed) {
      const frame = this.take(HTTP_FRAME_TARGET_BYTES, 'http');
      const frameId = createHash('md5').update(randomBytes(16)).digest('hex').toUpperCase();
      let delivered = false;
      for (let attempt = 1; attempt <= HTTP_FRAME_TRIES && !this.closed; attempt++) {
        try {
          const status = await this.#post(Buffer.concat(frame.body, frame.bytes), frame.lines.length, frameId);
          if (status >= 200 && status < 300) {
            delivered = true;
            break;
          }
          throw new Error(`drain ${this.#target.origin} answered ${status}`);
        } catch (error) {
          this.stats.failures++;
          this.options.onError?.(error);
          if (attempt < HTTP_FRAME_TRIES) await delay((this.options.retryDelayMs ?? 500) * attempt);
        }
      }
      this.stats.frames++;
      if (delivered) this.stats.sent += frame.lines.length;
      else this.stats.dropped += frame.lines.length;
    }
  }

  #post(body: Buffer, count: number, frameId: string): Promise<number> {
    const send = this.#target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/logplex-1',
      'Content-Length': body.length,
      'Logplex-Msg-Count': count,
      'Logplex-Frame-Id': frameId,
      'Logplex-Drain-Token': this.token,
      'User-Agent': DRAIN_USER_AGENT,
    };
    if (this.#authorization !== undefined) headers['Authorization'] = this.#authorization;
    return new Promise((resolve, reject) => {
      const req = send(this.#target, { method: 'POST', headers, agent: this.#agent, timeout: this.options.requestTimeoutMs ?? 30_000 }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`drain ${this.#target.origin} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  override close(): void {
    super.close();
    this.#agent.destroy();
  }
}

/** `syslog://host:port` (TCP) and `syslog+tls://host:port` drains: one connection, reconnected with backoff. */
export class SyslogDrainOutlet extends DrainOutlet {
  #socket: Socket | undefined;
  #connected = false;
  #waiting = false;
  #backoff = 0;
  #reconnect: NodeJS.Timeout | undefined;

  protected kick(): void {
    if (this.closed) return;
    if (this.#socket === undefined) {
      if (this.#reconnect === undefined) this.#connect();
      return;
    }
    if (!this.#connected || this.#waiting) return;
    while (this.hasWork() && !this.#waiting) {
      const { lines, body, bytes } = this.take(64 * 1024, 'syslog');
      this.stats.frames++;
      this.stats.sent += lines.length;
      if (!this.#socket.write(Buffer.concat(body, bytes))) this.#waiting = true;
    }
  }

  #connect(): void {
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port);
    const tls = this.url.protocol === 'syslog+tls:';
    const socket = tls
      ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(this.options.ca ? { ca: [...this.options.ca] } : {}) })
      : netConnect({ host, port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on(tls ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      this.#backoff = 0;
      this.kick();
    });
    socket.on('drain', () => {
      this.#waiting = false;
      this.kick();
    });
    // Receivers may send nothing; anything they do send is ignored.
    socket.on('data', () => undefined);
    socket.on('error', (error) => {
      this.stats.failures++;
      this.options.onError?.(error);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#connected = false;
      this.#waiting = false;
      if (this.closed) return;
      const base = this.options.retryDelayMs ?? 500;
      this.#backoff = Math.min(30_000, this.#backoff === 0 ? base : this.#backoff * 2);
      this.#reconnect = setTimeout(() => {
        this.#reconnect = undefined;
        if (this.hasWork()) this.kick();
      }, this.#backoff);
      this.#reconnect.unref();
    });
  }

  override close(): void {
    super.close();
    if (this.#reconnect !== undefined) clearTimeout(this.#reconnect);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }
}

/** The outlet for a drain URL (validated by `parseDrainUrl`). */
export function createOutlet(url: URL, token: string, options: OutletOptions): DrainOutlet {
  return url.protocol.startsWith('syslog') ? new SyslogDrainOutlet(url, token, options) : new HttpDrainOutlet(url, token, options);
}

/** A drain URL Berth can deliver to, or undefined: http(s) with a host, syslog(+tls) with a host and a port. */
export function parseDrainUrl(raw: unknown): URL | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.hostname === '') return undefined;
  if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  if ((url.protocol === 'syslog:' || url.protocol === 'syslog+tls:') && url.port !== '') return url;
  return undefined;
}
