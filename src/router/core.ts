// What an exchange (one proxied request or WebSocket) needs from the router that owns it.
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { RouterCode } from './codes.js';
import type { RouterLog } from './log-line.js';
import type { Listener, RequestHead } from './request-head.js';
import type { Target } from './targets.js';

export interface RouterTimeouts {
  /** H12: the dyno's first response byte after the request was forwarded (Heroku: 30 s). */
  readonly requestMs: number;
  /** H15: inactivity once a response started; also idle clients (Heroku: 55 s). */
  readonly idleMs: number;
  /** H19: connecting to a dyno (Heroku: 5 s). */
  readonly connectMs: number;
  /** H20: how long a request waits for a `starting` dyno to come up (Heroku: 75 s). */
  readonly bootMs: number;
  /** Idle keep-alive connections to dynos (Router 2.0: 90 s). */
  readonly dynoKeepAliveMs: number;
  /** Idle keep-alive connections from clients. */
  readonly clientKeepAliveMs: number;
}

export const HEROKU_TIMEOUTS: RouterTimeouts = {
  requestMs: 30_000,
  idleMs: 55_000,
  connectMs: 5_000,
  bootMs: 75_000,
  dynoKeepAliveMs: 90_000,
  clientKeepAliveMs: 90_000,
};

export interface ListenerContext extends Listener {
  readonly tls: boolean;
}

/** A request waiting for a dyno to come up. */
export interface Parked {
  readonly head: RequestHead;
  target: Target;
  timer: NodeJS.Timeout | undefined;
  route(): void;
  fail(code: RouterCode): void;
}

export interface RouterCore {
  readonly log: RouterLog;
  readonly timeouts: RouterTimeouts;
  /** How long to hold a request before forwarding it to the app (the `slow-router` teaching control); 0: none. */
  delayMs(appId: string): number;
  park(parked: Parked): void;
  unpark(parked: Parked): void;
}

/** `tls=false`, or Router 2.0's `tls=true tls_version=tls1.3`. */
export function tlsField(listener: ListenerContext, socket: Socket): string {
  if (!listener.tls) return 'tls=false';
  const protocol = (socket as TLSSocket).getProtocol?.();
  const version = protocol === 'TLSv1.3' ? 'tls1.3' : protocol === 'TLSv1.2' ? 'tls1.2' : 'unknown';
  return `tls=true tls_version=${version}`;
}
