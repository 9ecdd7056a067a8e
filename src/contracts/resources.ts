// What changed of an app's Platform API resources: the facts app webhooks deliver (events.ts `resource.changed`).
// Each carries the record as the store now holds it; api shapes turn it into the resource's Platform API JSON.
import type { AppRecord, BuildRecord, DynoRecord, FormationRecord, ReleaseRecord } from './records.js';

/** What an SNI endpoint's certificate says (`ssl_cert`), read once from the chain by domains/. */
export interface SslCert {
  readonly id: string;
  readonly certDomains: readonly string[];
  readonly startsAt: string;
  readonly expiresAt: string;
  /** OpenSSL's one-line form, as Heroku answers it: `/C=US/ST=California/O=Example/CN=www.example.com`. */
  readonly issuer: string;
  readonly subject: string;
  readonly selfSigned: boolean;
  /** The chain ends at a root this machine's Node trusts. */
  readonly caSigned: boolean;
}

export type ResourceAction = 'create' | 'update' | 'destroy';

/** A domain as domains/ hands it out (the `<app>.localhost` one and custom ones alike). */
export interface DomainView {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly hostname: string;
  readonly kind: 'heroku' | 'custom';
  readonly cname: string | null;
  readonly status: string;
  /** The SNI endpoint (the user's own certificate) serving this host name; null: the local CA's certificate. */
  readonly sniEndpoint: { readonly id: string; readonly name: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An SNI endpoint as domains/ hands it out: the user's certificate, described, and the domains it serves. */
export interface SniEndpointView {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly name: string;
  readonly certificateChain: string;
  /** Ids of the domains linked to it. */
  readonly domains: readonly string[];
  readonly sslCert: SslCert;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An add-on as addons/ hands it out, as far as its Platform API shape needs it. */
export interface AddonFacts {
  readonly addon: { readonly id: string; readonly name: string; readonly state: string; readonly createdAt: string; readonly updatedAt: string };
  readonly service: { readonly id: string; readonly name: string };
  readonly plan: { readonly id: string; readonly name: string; readonly priceCents: number };
  readonly app: { readonly id: string; readonly name: string };
  readonly configVars: readonly string[];
}

/** An add-on attachment as addons/ hands it out, as far as its Platform API shape needs it. */
export interface AttachmentFacts {
  readonly attachment: { readonly id: string; readonly name: string; readonly namespace: string | null; readonly createdAt: string; readonly updatedAt: string };
  readonly addon: AddonFacts;
  readonly app: { readonly id: string; readonly name: string };
}

/** An app's collaborator: the owner (the one local account) or someone added with `access:add`. */
export interface CollaboratorView {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly email: string;
  readonly userId: string;
  readonly role: 'owner' | 'collaborator';
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ChangedResource =
  | { readonly resource: 'app'; readonly app: AppRecord }
  | { readonly resource: 'build'; readonly build: BuildRecord }
  | { readonly resource: 'release'; readonly release: ReleaseRecord }
  | { readonly resource: 'formation'; readonly formation: FormationRecord }
  | { readonly resource: 'domain'; readonly domain: DomainView }
  | { readonly resource: 'sni-endpoint'; readonly sniEndpoint: SniEndpointView }
  | { readonly resource: 'addon'; readonly addon: AddonFacts }
  | { readonly resource: 'addon-attachment'; readonly attachment: AttachmentFacts }
  | { readonly resource: 'collaborator'; readonly collaborator: CollaboratorView }
  /**
   * A dyno's state changed (webhook include `dyno`, Heroku's dyno events); with `include: 'api:dyno'`, a dyno created
   * through the Platform API (`POST /apps/{app}/dynos`, `heroku run`), Heroku's `api:dyno` create event.
   */
  | { readonly resource: 'dyno'; readonly dyno: DynoRecord; readonly include?: 'api:dyno' };

export type ResourceChange = ChangedResource & {
  readonly appId: string;
  readonly action: ResourceAction;
  /** The changed fields as they were, in the API's snake_case (`{"status":"pending"}`); `{}` on create and destroy. */
  readonly previous?: Readonly<Record<string, unknown>>;
};
