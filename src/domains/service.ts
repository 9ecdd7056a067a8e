// Domains: the app's `<app>.localhost` (kind `heroku`, never stored: it follows the app's name) and its custom
// domains (kind `custom`, stored). The dyno manager reads `customHostnames` when it builds the routing snapshot; a
// change is announced as `routing.changed`, on which the dyno manager rebuilds that snapshot.
import { createHash, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { AppRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import type { DomainRecord, Store } from '../store/index.js';
import { normalizeHostname } from '../tls/index.js';
import type { DomainView } from '../contracts/resources.js';
import type { SecureContext } from 'node:tls';
import { ServedCertificates, SniEndpointsService } from './sni-endpoints.js';

/** The suffix of every app's heroku domain (Heroku: `.herokuapp.com`). */
export const APP_DOMAIN_SUFFIX = '.localhost';

/** `<one label>.localhost`: the shape of an app's own domain. */
function isAppDomain(hostname: string): boolean {
  return hostname.endsWith(APP_DOMAIN_SUFFIX) && !hostname.slice(0, -APP_DOMAIN_SUFFIX.length).includes('.');
}

/** A domain as this room hands it out: one shape, shared with the webhooks' `resource.changed` facts. */
export type Domain = DomainView;

/**
 * A stable id for the heroku domain, derived from the app's id. It starts with zeros so that it sorts before every
 * custom domain's random UUID: lists (ordered by id, as Range asks) show the heroku domain first, as Heroku does.
 */
export function herokuDomainId(appId: string): string {
  const hash = createHash('sha256').update(appId).digest('hex');
  return `00000000-0000-4000-8000-${hash.slice(0, 12)}`;
}

export class DomainsService {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #served: ServedCertificates;
  /** The app's own certificates (`certs:*`), which custom domains may be linked to. */
  readonly sniEndpoints: SniEndpointsService;

  constructor(store: Store, events: EventBus) {
    this.#store = store;
    this.#events = events;
    this.#served = new ServedCertificates(store);
    this.sniEndpoints = new SniEndpointsService(store, events, this.#served);
  }

  /**
   * The user's certificate for a custom domain linked to an SNI endpoint, as a TLS context; undefined for every other
   * name (the local CA's certificate is served). The router's HTTPS listener asks on each handshake: a map lookup.
   */
  certificateFor(hostname: string): SecureContext | undefined {
    return this.#served.contextFor(hostname);
  }

  /** Whether the app reports Automatic Certificate Management on (`acm`); off only after `certs:auto:disable`. */
  acmEnabled(appId: string): boolean {
    return this.#store.domains.acmEnabled(appId);
  }

  /**
   * `certs:auto:enable` / `certs:auto:disable`. What it switches is what the API reports: the local CA keeps issuing
   * the certificate of every host name without one of the user's own, as there is no other to fall back on.
   */
  setAcm(app: AppRecord, enabled: boolean): void {
    this.#store.domains.setAcm(app.id, enabled);
  }

  /** An app is gone with its domains and endpoints: its host names are no longer served with them. */
  forgetApp(appId: string): void {
    this.#served.invalidate();
    this.sniEndpoints.forgetApp(appId);
  }

  /** The app's custom domains only (the dyno manager's `extraHosts`). */
  customHostnames(appId: string): string[] {
    return this.#store.domains.hostnamesOf(appId);
  }

  list(app: AppRecord): Domain[] {
    return [this.#herokuDomain(app), ...this.#store.domains.listByApp(app.id).map((d) => this.#custom(app, d))];
  }

  get(app: AppRecord, idOrHostname: string): Domain {
    const wanted = idOrHostname.toLowerCase();
    const found = this.list(app).find((d) => d.id === wanted || d.hostname === wanted);
    if (found === undefined) raise('domain_not_found');
    return found;
  }

  /** `sniEndpoint`: the name or id of the app's SNI endpoint whose certificate the domain is served with. */
  add(app: AppRecord, raw: string, sniEndpoint: string | null = null): Domain {
    if (raw.trim() === '') raise('domain_hostname_missing');
    if (sniEndpoint !== null) this.sniEndpoints.record(app, sniEndpoint);
    if (raw.startsWith('*.')) raise('domain_wildcard_unsupported');
    const hostname = normalizeHostname(raw.trim());
    if (hostname === undefined) raise('domain_hostname_invalid', { hostname: raw });
    const endpointId = sniEndpoint === null ? null : this.sniEndpoints.recordFor(app, sniEndpoint, hostname).id;
    const record = this.#store.transaction(() => {
      const taken = this.#store.domains.getByHostname(hostname);
      if (taken !== undefined) {
        raise(taken.appId === app.id ? 'domain_already_added' : 'domain_taken', { hostname });
      }
      if (hostname.endsWith(APP_DOMAIN_SUFFIX) && this.#store.apps.getByName(hostname.slice(0, -APP_DOMAIN_SUFFIX.length)) !== undefined) {
        raise('domain_taken', { hostname });
      }
      // `<name>.localhost` belongs to the app of that name, also one created later (as *.herokuapp.com names do on
      // Heroku): as a custom domain it would take that app's traffic.
      if (isAppDomain(hostname)) raise('domain_reserved', { hostname, app: hostname.slice(0, -APP_DOMAIN_SUFFIX.length) });
      const now = apiTimestamp();
      return this.#store.domains.insert({
        id: randomUUID(),
        appId: app.id,
        hostname,
        cname: null,
        status: 'succeeded',
        sniEndpointId: endpointId,
        createdAt: now,
        updatedAt: now,
      });
    });
    if (endpointId !== null) this.#served.invalidate();
    this.#events.emit('routing.changed', { appId: app.id, appName: app.name });
    const domain = this.#custom(app, record);
    this.#events.emit('resource.changed', { appId: app.id, resource: 'domain', domain, action: 'create' });
    return domain;
  }

  /** `domains:update --cert`: links the domain to an SNI endpoint (by name or id), or back to the local CA (null). */
  update(app: AppRecord, idOrHostname: string, sniEndpoint: string | null): Domain {
    const domain = this.get(app, idOrHostname);
    if (domain.kind === 'heroku') raise('domain_default_sni', { hostname: domain.hostname });
    const endpointId = sniEndpoint === null ? null : this.sniEndpoints.recordFor(app, sniEndpoint, domain.hostname).id;
    this.#store.domains.setSniEndpoint(domain.id, endpointId, apiTimestamp());
    this.#served.invalidate();
    return this.get(app, domain.id);
  }

  remove(app: AppRecord, idOrHostname: string): Domain {
    const domain = this.get(app, idOrHostname);
    if (domain.kind === 'heroku') raise('domain_default_undeletable', { hostname: domain.hostname });
    this.#store.domains.delete(domain.id);
    if (domain.sniEndpoint !== null) this.#served.invalidate();
    this.#events.emit('routing.changed', { appId: app.id, appName: app.name });
    this.#events.emit('resource.changed', { appId: app.id, resource: 'domain', domain, action: 'destroy' });
    return domain;
  }

  #herokuDomain(app: AppRecord): Domain {
    return {
      id: herokuDomainId(app.id),
      appId: app.id,
      appName: app.name,
      hostname: `${app.name}${APP_DOMAIN_SUFFIX}`,
      kind: 'heroku',
      cname: null,
      status: 'none',
      sniEndpoint: null,
      createdAt: app.createdAt,
      updatedAt: app.createdAt,
    };
  }

  #custom(app: AppRecord, record: DomainRecord): Domain {
    return {
      id: record.id,
      appId: app.id,
      appName: app.name,
      hostname: record.hostname,
      kind: 'custom',
      // Locally the DNS target of a custom domain is the app's own name (curl --resolve, /etc/hosts).
      cname: `${app.name}${APP_DOMAIN_SUFFIX}`,
      status: record.status,
      sniEndpoint: this.#endpointRef(app, record.sniEndpointId),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  #endpointRef(app: AppRecord, id: string | null): { id: string; name: string } | null {
    if (id === null) return null;
    const endpoint = this.#store.sniEndpoints.get(app.id, id);
    return endpoint === undefined ? null : { id: endpoint.id, name: endpoint.name };
  }
}
