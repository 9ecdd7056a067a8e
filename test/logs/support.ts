// Helpers for log tests, now and for the dyno manager's tests later: open a log session through the API, read its
// Server-Sent Events as the heroku CLI does, and run real drain receivers (HTTPS with a certificate from the local
// CA, plain HTTP, TCP syslog) that parse what logplex sends.
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { SseParser, type SseMessage } from '../../src/logs/index.js';

export interface LogSessionBody {
  dyno?: string;
  source?: string;
  lines?: number;
  tail?: boolean;
  dyno_name?: string;
  type?: string;
}

/** `POST /apps/{app}/log-sessions` as the CLI sends it; returns the `logplex_url`. */
export async function openLogSession(apiUrl: string, apiKey: string, app: string, body: LogSessionBody): Promise<string> {
  const response = await fetch(`${apiUrl}/apps/${app}/log-sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/vnd.heroku+json; version=3.sdk', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`log-sessions answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { logplex_url: string }).logplex_url;
}

export interface SseRead {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: SseMessage[];
  /** The `data` of every event, one entry per line, as the CLI prints them. */
  readonly lines: string[];
  /** True when the server ended the stream (rather than `until` or the timeout stopping the read). */
  readonly ended: boolean;
  readonly retry: number | undefined;
}

export interface ReadSseOptions {
  readonly lastEventId?: string;
  /** Stop (and close the connection) once this returns true for the lines read so far. */
  readonly until?: (lines: readonly string[]) => boolean;
  readonly timeoutMs?: number;
  /** Called once the response headers arrived (a tail test writes lines after this). */
  readonly onOpen?: () => void;
}

/** Reads a log session's event stream with the CLI's request headers (no Authorization). */
export async function readSse(url: string, options: ReadSseOptions = {}): Promise<SseRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'User-Agent': 'heroku-run', 'Cache-Control': 'no-cache' };
  if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
  const events: SseMessage[] = [];
  const lines: string[] = [];
  const parser = new SseParser();
  let ended = false;
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    const contentType = response.headers.get('content-type');
    if (response.status !== 200 || response.body === null) {
      await response.text().catch(() => '');
      return { status: response.status, contentType, events, lines, ended: true, retry: undefined };
    }
    options.onOpen?.();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          events.push(event);
          lines.push(...event.data.trim().split(/\n+/));
        }
        if (options.until?.(lines)) break;
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      controller.abort();
    }
    return { status: response.status, contentType, events, lines, ended, retry: parser.retry };
  } finally {
    clearTimeout(timer);
  }
}

/** RFC 6587 octet-counted messages: `<len> <msg>` repeated. Throws on a malformed frame. */
export function parseOctetCounted(body: Buffer): string[] {
  const messages: string[] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space === -1) throw new Error(`no length at byte ${at}`);
    const length = Number(body.toString('ascii', at, space));
    if (!Number.isInteger(length) || length <= 0) throw new Error(`bad length "${body.toString('ascii', at, space)}" at byte ${at}`);
    const end = space + 1 + length;
    if (end > body.length) throw new Error(`message at byte ${at} runs past the end`);
    messages.push(body.toString('utf8', space + 1, end));
    at = end;
  }
  return messages;
}

export interface ReceivedFrame {
  readonly headers: IncomingHttpHeaders;
  readonly messages: string[];
}

export interface HttpDrainReceiver {
  readonly url: string;
  readonly frames: ReceivedFrame[];
  /** Every message of every frame, in arrival order. */
  messages(): string[];
  /** Answer the next requests with this status (default 200). */
  status: number;
  /** Hold each request this long before answering. */
  delayMs: number;
  /** The most requests it held open at once. */
  readonly maxConcurrent: number;
  waitFor(predicate: (messages: readonly string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

/** An HTTP(S) drain receiver on loopback; give it a key and certificate (e.g. `LocalCa.issue(...)`) for HTTPS. */
export async function startHttpDrainReceiver(tls?: { keyPem: string; certPem: string }): Promise<HttpDrainReceiver> {
  const frames: ReceivedFrame[] = [];
  const receiver = {
    status: 200,
    delayMs: 0,
    maxConcurrent: 0,
  };
  let open = 0;
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    const chunks: Buffer[] = [];
    open++;
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, open);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (): void => {
        open--;
        if (receiver.status >= 200 && receiver.status < 300) frames.push({ headers: req.headers, messages: parseOctetCounted(Buffer.concat(chunks)) });
        res.writeHead(receiver.status).end();
      };
      if (receiver.delayMs > 0) setTimeout(answer, receiver.delayMs);
      else answer();
    });
  };
  const server: HttpServer = tls ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const messages = (): string[] => frames.flatMap((frame) => frame.messages);
  return Object.assign(receiver, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/logs`,
    frames,
    messages,
    waitFor: (predicate: (messages: readonly string[]) => boolean, timeoutMs = 15_000) => waitFor(messages, predicate, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export interface SyslogReceiver {
  readonly url: string;
  readonly port: number;
  messages(): string[];
  /** Connections accepted so far. */
  connections(): number;
  waitFor(predicate: (messages: readonly string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  /** Drops every open connection (the drain must reconnect). */
  dropConnections(): void;
  close(): Promise<void>;
}

/** A TCP syslog receiver (RFC 6587 octet counting) on loopback; over TLS when given a key and certificate. */
export async function startSyslogReceiver(port = 0, tls?: { keyPem: string; certPem: string }): Promise<SyslogReceiver> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const onSocket = (socket: Socket): void => {
    accepted++;
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const space = pending.indexOf(0x20);
        if (space === -1) break;
        const length = Number(pending.toString('ascii', 0, space));
        if (pending.length < space + 1 + length) break;
        received.push(pending.toString('utf8', space + 1, space + 1 + length));
        pending = pending.subarray(space + 1 + length);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: TcpServer = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, onSocket) : createTcpServer(onSocket);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : 0;
  const messages = (): string[] => [...received];
  return {
    url: `${tls ? 'syslog+tls' : 'syslog'}://127.0.0.1:${actual}`,
    port: actual,
    messages,
    connections: () => accepted,
    waitFor: (predicate, timeoutMs = 15_000) => waitFor(messages, predicate, timeoutMs),
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function waitFor(read: () => string[], predicate: (messages: readonly string[]) => boolean, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = read();
    if (predicate(current)) return current;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; received ${current.length} messages:\n${current.slice(-10).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
