// Log drains: `GET|POST|DELETE /apps/{app}/log-drains`. Every line an app's log stores is forwarded to each of its
// drains (at most 5, Heroku's limit) through an outlet with its own bounded buffer.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { AppRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import type { LogDrainRecord, Store } from '../store/index.js';

export type { LogDrainRecord };
import { createOutlet, parseDrainUrl, type DrainOutlet, type OutletOptions, type OutletStats } from './drain-outlets.js';
import type { Logplex } from './logplex.js';

export const MAX_DRAINS_PER_APP = 5;

export interface LogDrainsOptions extends OutletOptions {
  readonly maxPerApp?: number;
}

/**
 * The trust anchors for TLS drains: the system's, the file NODE_EXTRA_CA_CERTS names, and the given PEM files
 * (the local CA), so a drain on a local receiver with a certificate from the local CA verifies.
 */
export function drainTrust(pemFiles: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const pems = [...rootCertificates];
  const extra = env['NODE_EXTRA_CA_CERTS'];
  for (const file of extra ? [extra, ...pemFiles] : pemFiles) {
    try {
      if (existsSync(file)) pems.push(readFileSync(file, 'utf8'));
    } catch {
      // An unreadable file adds nothing.
    }
  }
  return pems;
}

export class LogDrains {
  readonly #store: Store;
  readonly #logplex: Logplex;
  readonly #options: LogDrainsOptions;
  /** Outlets by app id, loaded from the store the first time an app logs. */
  readonly #outlets = new Map<string, Map<string, DrainOutlet>>();
  #unsubscribe: (() => void) | undefined;

  constructor(store: Store, logplex: Logplex, options: LogDrainsOptions = {}) {
    this.#store = store;
    this.#logplex = logplex;
    this.#options = options;
  }

  /** Starts forwarding lines to drains. */
  start(): void {
    this.#unsubscribe ??= this.#logplex.subscribe((appId, lines) => {
      const outlets = this.#outletsOf(appId);
      if (outlets.size === 0) return;
      for (const outlet of outlets.values()) outlet.push(lines);
    });
  }

  list(app: AppRecord): LogDrainRecord[] {
    return this.#store.drains.listByApp(app.id);
  }

  get(app: AppRecord, identity: string): LogDrainRecord {
    const drain = this.#store.drains.find(app.id, identity);
    if (drain === undefined) raise('log_drain_not_found');
    return drain;
  }

  add(app: AppRecord, rawUrl: string): LogDrainRecord {
    const url = parseDrainUrl(rawUrl);
    if (url === undefined) {
      raise('log_drain_url_invalid');
    }
    const existing = this.#store.drains.listByApp(app.id);
    if (existing.some((drain) => drain.url === rawUrl.trim())) raise('log_drain_url_taken');
    if (existing.length >= (this.#options.maxPerApp ?? MAX_DRAINS_PER_APP)) {
      raise('log_drain_limit_reached', { max: this.#options.maxPerApp ?? MAX_DRAINS_PER_APP });
    }
    const now = new Date().toISOString().slice(0, 19) + 'Z';
    const drain = this.#store.drains.insert({
      id: randomUUID(),
      appId: app.id,
      url: rawUrl.trim(),
      token: `d.${randomUUID()}`,
      createdAt: now,
      updatedAt: now,
    });
    this.#outlets.get(app.id)?.set(drain.id, this.#open(drain));
    return drain;
  }

  remove(app: AppRecord, identity: string): LogDrainRecord {
    const drain = this.get(app, identity);
    this.#store.drains.delete(drain.id);
    const outlets = this.#outlets.get(app.id);
    outlets?.get(drain.id)?.close();
    outlets?.delete(drain.id);
    return drain;
  }

  /** Delivery counters of a drain that has carried lines since the daemon started (tests, benchmarks). */
  stats(drainId: string): OutletStats | undefined {
    for (const outlets of this.#outlets.values()) {
      const outlet = outlets.get(drainId);
      if (outlet) return { ...outlet.stats };
    }
    return undefined;
  }

  /** The app is gone (its rows went with it): stop its outlets. */
  removeApp(appId: string): void {
    const outlets = this.#outlets.get(appId);
    for (const outlet of outlets?.values() ?? []) outlet.close();
    this.#outlets.delete(appId);
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const outlets of this.#outlets.values()) for (const outlet of outlets.values()) outlet.close();
    this.#outlets.clear();
  }

  #outletsOf(appId: string): Map<string, DrainOutlet> {
    let outlets = this.#outlets.get(appId);
    if (outlets === undefined) {
      outlets = new Map();
      for (const drain of this.#store.drains.listByApp(appId)) outlets.set(drain.id, this.#open(drain));
      this.#outlets.set(appId, outlets);
    }
    return outlets;
  }

  #open(drain: LogDrainRecord): DrainOutlet {
    return createOutlet(new URL(drain.url), drain.token, this.#options);
  }
}
