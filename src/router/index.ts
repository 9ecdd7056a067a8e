/** router/: the HTTP(S) proxy in front of web dynos (Heroku's Router 2.0). Reads only the routing snapshot. */
export { Router } from './router.js';
export type { ListenOptions, RouterOptions, TlsListenOptions } from './router.js';
export type { RouterTimeouts } from './core.js';
export type { RouterCode } from './codes.js';
export type { RouterLogSink } from './log-line.js';
