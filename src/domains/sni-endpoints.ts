// SNI endpoints (Platform API `sni-endpoint`; `certs:add`, `certs:info`, `certs:update`, `certs:remove`): the user's
// own certificate for custom domains. A domain linked to one (`domains:update --cert`, or `sni_endpoint` on create)
// gets that certificate from the router's HTTPS listener instead of one minted by the local CA.
import { randomInt, randomUUID } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { apiTimestamp } from '../clock.js';
import type { AppRecord } from '../contracts/records.js';
import type { SniEndpointView, SslCert } from '../contracts/resources.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import type { SniEndpointRecord, Store } from '../store/index.js';
import { readCertificate } from './certificate.js';

export type SniEndpoint = SniEndpointView;

export interface CertificateUpload {
  readonly certificate_chain: string;
  readonly private_key: string;
}

// Heroku names endpoints after dinosaurs with a number (`stegosaurus-12345`) [U: the list is Berth's].
const NAMES = [
  'allosaurus', 'ankylosaurus', 'apatosaurus', 'brachiosaurus', 'diplodocus', 'iguanodon', 'parasaurolophus',
  'spinosaurus', 'stegosaurus', 'triceratops', 'velociraptor', 'pachycephalosaurus',
] as const;

/** RFC 6125: `*.example.com` covers exactly one more label (`www.example.com`, not `example.com` or `a.b.example.com`). */
function certificateNameCovers(name: string, hostname: string): boolean {
  const wanted = name.toLowerCase();
  if (!wanted.startsWith('*.')) return wanted === hostname;
  const dot = hostname.indexOf('.');
  return dot > 0 && hostname.slice(dot + 1) === wanted.slice(2);
}

/** The host names served with the user's own certificate, as TLS contexts: rebuilt after a change, not per handshake. */
export class ServedCertificates {
  readonly #store: Store;
  #byHost: Map<string, SecureContext> | undefined = undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The context for a linked custom domain, or undefined (the local CA mints one). */
  contextFor(hostname: string): SecureContext | undefined {
    if (this.#byHost === undefined) {
      const byHost = new Map<string, SecureContext>();
      for (const b of this.#store.sniEndpoints.bindings()) {
        try {
          byHost.set(b.hostname, createSecureContext({ cert: b.certificateChain, key: b.privateKey }));
        } catch {
          // A pair node:crypto read but OpenSSL will not serve (an exotic key type): that host keeps the local CA's
          // certificate rather than failing every handshake.
        }
      }
      this.#byHost = byHost;
    }
    return this.#byHost.get(hostname);
  }

  /** Something that links a host name to a certificate changed (an endpoint, a domain, an app destroyed). */
  invalidate(): void {
    this.#byHost = undefined;
  }
}

/**
 * What each stored certificate says (`ssl_cert`), read once: when it is uploaded, or first asked for after a start.
 * Keyed by endpoint id and its `updated_at`, so a certificate replaced elsewhere is read again.
 */
class DescribedCertificates {
  readonly #byId = new Map<string, { readonly appId: string; readonly updatedAt: string; readonly sslCert: SslCert }>();

  of(record: SniEndpointRecord): SslCert {
    const known = this.#byId.get(record.id);
    if (known !== undefined && known.updatedAt === record.updatedAt) return known.sslCert;
    return this.remember(record, readCertificate(record.certificateChain, record.privateKey));
  }

  remember(record: SniEndpointRecord, sslCert: SslCert): SslCert {
    this.#byId.set(record.id, { appId: record.appId, updatedAt: record.updatedAt, sslCert });
    return sslCert;
  }

  forget(id: string): void {
    this.#byId.delete(id);
  }

  /** A destroyed app's endpoints went with it from the store (nothing reads them again): their descriptions go too. */
  forgetApp(appId: string): void {
    for (const [id, entry] of this.#byId) if (entry.appId === appId) this.#byId.delete(id);
  }

  get size(): number {
    return this.#byId.size;
  }
}

export class SniEndpointsService {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #served: ServedCertificates;
  readonly #described = new DescribedCertificates();

  constructor(store: Store, events: EventBus, served: ServedCertificates) {
    this.#store = store;
    this.#events = events;
    this.#served = served;
  }

  /** The app is destroyed: what its certificates said goes with it. */
  forgetApp(appId: string): void {
    this.#described.forgetApp(appId);
  }

  /** How many certificate descriptions are held: the live endpoints' at most (a destroyed app's go). */
  get describedCount(): number {
    return this.#described.size;
  }

  list(app: AppRecord): SniEndpoint[] {
    return this.#store.sniEndpoints.listByApp(app.id).map((e) => this.#view(app, e));
  }

  get(app: AppRecord, idOrName: string): SniEndpoint {
    return this.#view(app, this.record(app, idOrName));
  }

  /** The stored endpoint by id or name (domains/ links a domain to it). */
  record(app: AppRecord, idOrName: string): SniEndpointRecord {
    const wanted = idOrName.toLowerCase();
    const found = this.#store.sniEndpoints.get(app.id, wanted) ?? this.#store.sniEndpoints.getByName(app.id, wanted);
    if (found === undefined) raise('sni_endpoint_not_found');
    return found;
  }

  /**
   * The endpoint a domain is to be linked to, refused when its certificate does not name the host name (exactly, or
   * through a one-label wildcard): the router would serve a certificate every client rejects.
   */
  recordFor(app: AppRecord, idOrName: string, hostname: string): SniEndpointRecord {
    const record = this.record(app, idOrName);
    const names = this.#described.of(record).certDomains;
    if (!names.some((name) => certificateNameCovers(name, hostname))) {
      raise('sni_endpoint_hostname_uncovered', { hostname, endpoint: record.name, names: names.join(', ') });
    }
    return record;
  }

  create(app: AppRecord, upload: CertificateUpload): SniEndpoint {
    const sslCert = readCertificate(upload.certificate_chain, upload.private_key);
    const now = apiTimestamp();
    const record = this.#store.transaction(() => {
      let name: string;
      do name = `${NAMES[randomInt(NAMES.length)]}-${randomInt(10_000, 100_000)}`;
      while (this.#store.sniEndpoints.getByName(app.id, name) !== undefined);
      return this.#store.sniEndpoints.insert({
        id: randomUUID(),
        appId: app.id,
        name,
        certificateChain: upload.certificate_chain,
        privateKey: upload.private_key,
        createdAt: now,
        updatedAt: now,
      });
    });
    this.#described.remember(record, sslCert);
    const endpoint = this.#view(app, record);
    this.#events.emit('resource.changed', { appId: app.id, resource: 'sni-endpoint', sniEndpoint: endpoint, action: 'create' });
    return endpoint;
  }

  update(app: AppRecord, idOrName: string, upload: CertificateUpload): SniEndpoint {
    const before = this.record(app, idOrName);
    const sslCert = readCertificate(upload.certificate_chain, upload.private_key);
    this.#store.sniEndpoints.update(before.id, upload.certificate_chain, upload.private_key, apiTimestamp());
    // Replaced within the second it was made, the record's updated_at is unchanged: the new description is kept here.
    this.#described.remember(this.record(app, before.id), sslCert);
    this.#served.invalidate();
    const endpoint = this.get(app, before.id);
    this.#events.emit('resource.changed', {
      appId: app.id,
      resource: 'sni-endpoint',
      sniEndpoint: endpoint,
      action: 'update',
      previous: { certificate_chain: before.certificateChain, updated_at: before.updatedAt },
    });
    return endpoint;
  }

  remove(app: AppRecord, idOrName: string): SniEndpoint {
    const endpoint = this.get(app, idOrName);
    this.#store.sniEndpoints.delete(endpoint.id);
    this.#described.forget(endpoint.id);
    this.#served.invalidate();
    this.#events.emit('resource.changed', { appId: app.id, resource: 'sni-endpoint', sniEndpoint: endpoint, action: 'destroy' });
    return endpoint;
  }

  #view(app: AppRecord, record: SniEndpointRecord): SniEndpoint {
    return {
      id: record.id,
      appId: app.id,
      appName: app.name,
      name: record.name,
      certificateChain: record.certificateChain,
      domains: this.#store.sniEndpoints.domainIds(record.id),
      sslCert: this.#described.of(record),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }
}
