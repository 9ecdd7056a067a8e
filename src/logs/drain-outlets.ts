// Where a drain's lines go: HTTPS/HTTP drains get `application/logplex-1` frames (octet-counted RFC 5424 messages,
// up to ~100 KB a POST, 3 tries per frame, several POSTs in flight on kept-alive connections while lines back up),
// syslog drains a TCP (or TLS) stream of octet-counted RFC 5424 messages written in batches, paced by the socket.
// Each outlet buffers at most `bufferMessages` lines or `bufferBytes` bytes of messages, whichever holds more: beyond
// that the oldest are dropped and Heroku's L10 line is sent ahead of the next lines. Nothing here ever blocks the
// caller: a slow or dead drain only loses its own lines.
import { createHash, randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LogLine } from '../contracts/records.js';
import { logTimestamp, rfc5424Message } from './format.js';
import { l10Message } from './lines/drains.js';

/** Logplex's `drain_buffer_size`. */
export const DRAIN_BUFFER_MESSAGES = 1024;
/**
 * Bytes of messages a drain may hold beyond its 1,024 lines: about 2 s of a dyno writing 10,000 100-byte lines a
 * second, so a drain that keeps up on average rides out the bursts in which a dyno's output arrives (1,024 lines
 * alone are a tenth of a second of that). Lines of 10 KB still stop at 1,024 lines (10 MB), as on Heroku.
 */
export const DRAIN_BUFFER_BYTES = 2 * 1024 * 1024;
/** Logplex's `http_drain_target_bytes`. */
export const HTTP_FRAME_TARGET_BYTES = 102_400;
/** Logplex's `http_frame_retries` (2) plus the first try. */
export const HTTP_FRAME_TRIES = 3;
/** POSTs in flight at once per HTTP drain (each on its own kept-alive connection) while lines back up. */
export const HTTP_DRAIN_MAX_IN_FLIGHT = 4;
export const DRAIN_USER_AGENT = 'Logplex/v72';
/** A syslog drain's batch: one socket write of about this many bytes. */
const SYSLOG_BATCH_BYTES = 64 * 1024;

export interface OutletOptions {
  readonly bufferMessages?: number;
  /** Bytes of messages kept beyond `bufferMessages` lines (see DRAIN_BUFFER_BYTES). */
  readonly bufferBytes?: number;
  /** HTTP drains: POSTs in flight at once (1 keeps frames strictly in order). */
  readonly maxInFlight?: number;
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
  /** UTF-16 units of the buffered messages: bytes for ASCII, and cheap to keep. */
  #bytes = 0;
  readonly #max: number;
  readonly #maxBytes: number;
  #overflow = 0;
  #overflowSince = 0;
  protected closed = false;

  constructor(url: URL, token: string, options: OutletOptions) {
    this.url = url;
    this.token = token;
    this.options = options;
    this.#max = Math.max(1, options.bufferMessages ?? DRAIN_BUFFER_MESSAGES);
    this.#maxBytes = Math.max(0, options.bufferBytes ?? DRAIN_BUFFER_BYTES);
  }

  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** Bytes of the buffered messages (the bound beyond `bufferMessages` lines). */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Queues lines (dropping the oldest beyond the buffer) and makes sure delivery runs. */
  push(lines: readonly LogLine[]): void {
    if (this.closed) return;
    for (const line of lines) {
      this.#buffer.push(line);
      this.#bytes += line.message.length;
      while (this.buffered > this.#max && this.#bytes > this.#maxBytes) {
        this.#bytes -= (this.#buffer[this.#head] as LogLine).message.length;
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

  /**
   * Takes lines off the front of the buffer, framed (octet-counted RFC 5424) into one body of about `maxBytes`, the
   * L10 line first when lines were dropped since the last take.
   */
  protected take(maxBytes: number, kind: 'http' | 'syslog'): { count: number; body: Buffer } {
    const framed: string[] = [];
    let count = 0;
    let bytes = 0;
    const add = (line: LogLine): void => {
      // RFC 6587 octet counting (format.ts `octetCounted`), as text: the whole body is encoded once.
      const message = rfc5424Message(line, kind, this.token);
      const length = Buffer.byteLength(message, 'utf8');
      const prefix = `${length} `;
      framed.push(prefix, message);
      count++;
      bytes += prefix.length + length;
    };
    if (this.#overflow > 0) {
      add({ ts: logTimestamp(), source: 'heroku', dyno: 'logplex', message: l10Message(this.#overflow, this.#overflowSince) });
      this.#overflow = 0;
    }
    while (this.#head < this.#buffer.length && (bytes < maxBytes || count === 0)) {
      const line = this.#buffer[this.#head] as LogLine;
      add(line);
      this.#bytes -= line.message.length;
      this.#buffer[this.#head] = undefined as unknown as LogLine;
      this.#head++;
    }
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
      this.#bytes = 0;
    }
    return { count, body: Buffer.from(framed.join(''), 'utf8') };
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
    this.#bytes = 0;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * `https://` and `http://` drains: logplex-1 frames of up to ~100 KB. One POST at a time while the drain keeps up
 * (frames stay in order); while lines back up beyond a frame, up to `maxInFlight` POSTs on kept-alive connections.
 */
export class HttpDrainOutlet extends DrainOutlet {
  #inFlight = 0;
  readonly #maxInFlight: number;
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
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? HTTP_DRAIN_MAX_IN_FLIGHT);
    const agentOptions = { keepAlive: true, maxSockets: this.#maxInFlight };
    this.#agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ ...agentOptions, ...(options.ca ? { ca: [...options.ca] } : {}) })
        : new HttpAgent(agentOptions);
  }

  protected kick(): void {
    while (!this.closed && this.hasWork() && this.#inFlight < this.#maxInFlight) {
      // A further POST only for a backlog of at least a frame's worth: a drain that keeps up gets one at a time.
      if (this.#inFlight > 0 && this.bufferedBytes < HTTP_FRAME_TARGET_BYTES / 2) return;
      this.#inFlight++;
      void this.#deliver(this.take(HTTP_FRAME_TARGET_BYTES, 'http')).finally(() => {
        this.#inFlight--;
        this.kick();
      });
    }
  }

  async #deliver(frame: { count: number; body: Buffer }): Promise<void> {
    const frameId = createHash('md5').update(randomBytes(16)).digest('hex').toUpperCase();
    let delivered = false;
    for (let attempt = 1; attempt <= HTTP_FRAME_TRIES && !this.closed; attempt++) {
      try {
        const status = await this.#post(frame.body, frame.count, frameId);
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
    if (delivered) this.stats.sent += frame.count;
    else this.stats.dropped += frame.count;
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
    // Batches of ~64 KB, written until the socket pushes back; its 'drain' resumes. Lines wait in the buffer meanwhile.
    while (this.hasWork() && !this.#waiting) {
      const { count, body } = this.take(SYSLOG_BATCH_BYTES, 'syslog');
      this.stats.frames++;
      this.stats.sent += count;
      if (!this.#socket.write(body)) this.#waiting = true;
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
