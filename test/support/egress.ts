// A NODE_OPTIONS preload that denies (and records) every outgoing connection or DNS lookup that is not loopback,
// in the process and in every node child it spawns. Tests assert the record file stays empty.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PRELOAD = String.raw`'use strict';
// Written by test/support/egress.ts. Denies non-loopback sockets and DNS lookups; appends each attempt to a file.
const net = require('node:net');
const dns = require('node:dns');
const fs = require('node:fs');
const LOG = process.env.BERTH_EGRESS_LOG;
function isLoopback(host) {
  if (host === undefined || host === null || host === '') return true;
  const h = String(host).toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}
function record(what) {
  const line = process.pid + ' [' + process.argv.slice(1).join(' ') + '] ' + what + '\n';
  try { if (LOG) fs.appendFileSync(LOG, line); else process.stderr.write('egress: ' + line); } catch (_) {}
}
function denied(what) {
  const error = new Error('berth test preload: non-loopback ' + what + ' denied');
  error.code = 'ECONNREFUSED';
  return error;
}
function target(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') return { host: first.host, port: first.port, path: first.path };
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const t = target(args);
  if (t.path === undefined && !isLoopback(t.host)) {
    const what = 'connect ' + t.host + ':' + t.port;
    record(what);
    process.nextTick(() => this.destroy(denied(what)));
    return this;
  }
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (hostname, ...rest) {
  if (!isLoopback(hostname)) {
    record('dns.lookup ' + hostname);
    const cb = rest[rest.length - 1];
    const error = denied('lookup ' + hostname);
    error.code = 'ENOTFOUND';
    if (typeof cb === 'function') process.nextTick(() => cb(error));
    return {};
  }
  return lookup.call(this, hostname, ...rest);
};
const promiseLookup = dns.promises.lookup;
dns.promises.lookup = function (hostname, ...rest) {
  if (!isLoopback(hostname)) {
    record('dns.promises.lookup ' + hostname);
    const error = denied('lookup ' + hostname);
    error.code = 'ENOTFOUND';
    return Promise.reject(error);
  }
  return promiseLookup.call(this, hostname, ...rest);
};
const RESOLVE = ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveSrv', 'resolveTxt', 'resolveMx', 'resolveNs'];
function guard(target, name, promised) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function (hostname, ...rest) {
    record('dns.' + name + ' ' + hostname);
    const error = denied('dns ' + name + ' ' + hostname);
    error.code = 'ENOTFOUND';
    if (promised) return Promise.reject(error);
    const cb = rest[rest.length - 1];
    if (typeof cb === 'function') process.nextTick(() => cb(error));
  };
}
for (const name of RESOLVE) {
  guard(dns, name, false);
  guard(dns.Resolver.prototype, name, false);
  guard(dns.promises, name, true);
  guard(dns.promises.Resolver.prototype, name, true);
}
`;

export interface EgressGuard {
  /** Put into NODE_OPTIONS (append to any existing value). */
  readonly nodeOptions: string;
  /** Variables to add to a child's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly preloadFile: string;
  /** The recorded attempts, one per line ("" when nothing tried to leave the machine). */
  attempts(): string;
}

export function egressGuard(dir: string = mkdtempSync(join(tmpdir(), 'berth-egress-'))): EgressGuard {
  const preloadFile = join(dir, 'deny-egress.cjs');
  const logFile = join(dir, 'egress.log');
  writeFileSync(preloadFile, PRELOAD);
  writeFileSync(logFile, '');
  const nodeOptions = `--require ${preloadFile}`;
  return {
    nodeOptions,
    env: { NODE_OPTIONS: nodeOptions, BERTH_EGRESS_LOG: logFile },
    logFile,
    preloadFile,
    attempts: () => readFileSync(logFile, 'utf8'),
  };
}
