// One pass over the client's raw headers: the Host to route by, Heroku's request limits (reference §2.6), and the
// header list for the dyno with the router's headers added (§2.3). No header object is built on the way.
import { randomUUID } from 'node:crypto';

/** Heroku: 8192 bytes per request line and per header line, 1000 bytes per header name, 1000 headers. */
export const MAX_REQUEST_LINE = 8192;
export const MAX_HEADER_LINE = 8192;
export const MAX_HEADER_NAME = 1000;
export const MAX_HEADERS = 1000;

const REQUEST_ID = /^[A-Za-z0-9+/=-]{20,200}$/;

export interface RequestHead {
  /** Lower-case host name without port or trailing dot; '' when the request has no Host. */
  host: string;
  /** The X-Forwarded-For list for the log line (the dyno gets the client's list with the client's address appended). */
  fwd: string;
  requestId: string;
  /** The request carries a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /** Flat `[name, value, ...]` list for the dyno. */
  headers: string[];
  /** The request breaks one of Heroku's limits: answer 400. */
  invalid: boolean;
}

export interface Listener {
  /** `http` or `https`. */
  readonly proto: string;
  /** The port the router listened on, as a string (X-Forwarded-Port; DESIGN.md "Deliberate deviations"). */
  readonly port: string;
}

/** `Demo.LocalHost:5000` → `demo.localhost`; `[::1]:5000` → `[::1]`. */
export function hostOf(value: string): string {
  let end = value.length;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    end = close === -1 ? end : close + 1;
  } else {
    const colon = value.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && value.charCodeAt(end - 1) === 46 /* . */) end--;
  return value.slice(0, end).toLowerCase();
}

/**
 * `keepUpgrade` keeps Connection and Upgrade (a WebSocket handshake goes to the dyno as it came); otherwise every
 * hop-by-hop header is dropped and the pool manages the connection.
 */
export function readRequestHead(raw: readonly string[], remoteAddress: string, listener: Listener, keepUpgrade: boolean): RequestHead {
  const headers: string[] = [];
  let host = '';
  let xff: string | undefined;
  let requestId: string | undefined;
  let via: string | undefined;
  let hasBody = false;
  let invalid = raw.length > MAX_HEADERS * 2;
  let dropped: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.length > MAX_HEADER_NAME || name.length + value.length + 2 > MAX_HEADER_LINE) invalid = true;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'host':
        if (host === '') host = hostOf(value);
        headers.push(name, value);
        continue;
      case 'x-forwarded-for':
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case 'x-request-id':
        requestId = value;
        continue;
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      case 'content-length':
        if (value !== '0') hasBody = true;
        headers.push(name, value);
        continue;
      case 'transfer-encoding':
        hasBody = true;
        continue;
      case 'connection':
        if (keepUpgrade) headers.push(name, value);
        else if (value.length > 10 || (value.toLowerCase() !== 'keep-alive' && value.toLowerCase() !== 'close')) {
          // Headers a client names in Connection are hop-by-hop too.
          for (const token of value.split(',')) (dropped ??= []).push(token.trim().toLowerCase());
        }
        continue;
      case 'upgrade':
        if (keepUpgrade) headers.push(name, value);
        continue;
      // Hop-by-hop, or the router's own (a client's copy is not trusted).
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'expect':
      case 'x-forwarded-proto':
      case 'x-forwarded-port':
      case 'x-request-start':
        continue;
      default:
        headers.push(name, value);
    }
  }
  if (dropped !== undefined) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (dropped.includes((headers[i] as string).toLowerCase())) headers.splice(i, 2);
    }
  }
  const forwardedFor = xff === undefined ? remoteAddress : `${xff}, ${remoteAddress}`;
  // Real router lines show the list without spaces (`fwd="80.187.107.115,167.82.231.29"`).
  const fwd = xff === undefined ? remoteAddress : `${xff.replaceAll(' ', '')},${remoteAddress}`;
  const id = requestId !== undefined && REQUEST_ID.test(requestId) ? requestId : randomUUID();
  headers.push(
    'X-Forwarded-For', forwardedFor,
    'X-Forwarded-Proto', listener.proto,
    'X-Forwarded-Port', listener.port,
    'X-Request-Start', String(Date.now()),
    'X-Request-Id', id,
    'Via', via === undefined ? '1.1 heroku-router' : `${via}, 1.1 heroku-router`,
  );
  return { host, fwd, requestId: id, hasBody, headers, invalid };
}
