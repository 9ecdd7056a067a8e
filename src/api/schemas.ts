// JSON schemas of every Platform API route's params, query and body, with the TypeScript type each one validates to.
// They accept what real clients send (see test/compat): the heroku CLI's quantities as strings (`"2"`, `"+1"`),
// `null` config values, `updates: [...]` formation bodies, bodies that are missing or empty (`null` after parsing),
// unknown keys (the CLI sends many). Ajv runs with `coerceTypes: true` (server.ts): a number or boolean where a string is
// expected becomes its text, as Heroku takes `{"FOO": 1}`; `"true"` becomes `true`; `"100"` becomes `100`. Where `null`
// means something (remove a config var, "not given") the type says `["string", "null"]`; elsewhere Ajv takes it as "".
import type { FastifySchema } from 'fastify';
import type { ConfigPatch, StackRef } from '../apps/index.js';
import type { ReleaseRequest } from '../releases/index.js';

// ---- building blocks --------------------------------------------------------------------------------------------

const string = { type: 'string' } as const;
const nonBlank = { type: 'string', minLength: 1, pattern: '\\S' } as const;
const stringOrNull = { type: ['string', 'null'] } as const;
const booleanOrNull = { type: ['boolean', 'null'] } as const;
/** A stack or a dyno size by name, or as `{"name": ...}` (the schema's identity objects: `stack`, `dyno_size`). */
const nameRef = { type: ['string', 'object'], properties: { name: string } } as const;
/** `2`, `"2"`, `"+1"`, `"-1"`: the dyno manager reads relative and absolute quantities. */
const quantity = { type: ['integer', 'string'] } as const;

/** A body every client may leave out: the JSON parser turns an empty body into `null`. */
function optionalBody(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: ['object', 'null'], properties };
}

function body(required: readonly string[], properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', required, properties };
}

/**
 * Path parameters: the router only matches a route with all of them present, so one schema serves every route (each
 * distinct schema is one Ajv compilation per API instance at start-up, and the daemon builds two instances).
 */
const pathParams = { type: 'object', additionalProperties: nonBlank } as const;

/** Query strings: Heroku ignores what it does not know (`?extended=true`), so any is accepted. */
const anyQuery = { type: 'object' } as const;
/** Bodies the route ignores (the CLI sends one with restarts and stops anyway). */
const ignoredBody = {} as const;

function route(parts: { params?: typeof pathParams; body?: Record<string, unknown> }): FastifySchema {
  return { querystring: anyQuery, ...(parts.params ? { params: parts.params } : {}), ...(parts.body ? { body: parts.body } : {}) };
}

// ---- params -----------------------------------------------------------------------------------------------------

export interface AppParams {
  readonly app: string;
}
export type ReleaseParams = AppParams & { readonly release: string };
export type BuildParams = AppParams & { readonly build: string };
export type SlugParams = AppParams & { readonly slug: string };
export type TypeParams = AppParams & { readonly type: string };
export type DynoParams = AppParams & { readonly dyno: string };
export type DomainParams = AppParams & { readonly domain: string };
export type DrainParams = AppParams & { readonly drain: string };
export type CollaboratorParams = AppParams & { readonly collaborator: string };
export interface StackParams {
  readonly stack: string;
}
export interface RegionParams {
  readonly region: string;
}
export interface DynoSizeParams {
  readonly size: string;
}
/** The buildpack registry's `GET /buildpacks/{namespace}%2F{name}` (the CLI encodes the slash) or with a plain slash. */
export interface RegistryBuildpackParams {
  readonly buildpack: string;
  readonly name?: string;
}
export interface UserParams {
  readonly user: string;
}
/** Public stream and blob URLs: the resource and the secret that stands for auth. */
export interface StreamParams {
  readonly id: string;
  readonly secret: string;
}

// ---- bodies -----------------------------------------------------------------------------------------------------

export interface AppCreateBody {
  readonly name?: string | null;
  readonly region?: string | null;
  readonly stack?: StackRef | null;
}

export interface AppUpdateBody {
  readonly name?: string;
  readonly maintenance?: boolean;
  readonly build_stack?: StackRef;
}

export type ConfigVarsBody = ConfigPatch | null;

/** `heroku apps:create --addons svc:plan` sends the plan as a string; `heroku addons:create` as `{name}`. */
export interface AddonCreateBody {
  readonly plan: string | { readonly name: string };
  readonly name?: string | null;
  readonly attachment?: { readonly name?: string | null } | null;
  readonly config?: Readonly<Record<string, string | boolean | number>> | null;
  readonly confirm?: string | null;
}

export interface AddonUpdateBody {
  readonly plan: string | { readonly name: string };
}

export interface AddonResolveBody {
  readonly addon: string;
  readonly app?: string | null;
  readonly addon_service?: string | null;
}

export interface AttachmentResolveBody {
  readonly addon_attachment: string;
  readonly app?: string | null;
  readonly addon_service?: string | null;
}

type NameOrIdRef = string | { readonly name?: string | null; readonly id?: string | null };

export interface AttachmentCreateBody {
  readonly addon: NameOrIdRef;
  readonly app: NameOrIdRef;
  readonly name?: string | null;
  readonly namespace?: string | null;
  readonly confirm?: string | null;
}

/** `/apps/{app}/addons/{addon}`, `/addons/{addon}`, `/addon-attachments/{attachment}` and the catalogue's paths. */
export interface AddonParams {
  readonly app?: string;
  readonly addon?: string;
  readonly attachment?: string;
  readonly service?: string;
  readonly plan?: string;
}

export type ReleaseBody = ReleaseRequest | null;

/** A buildpack as a build names it: `"url"`, `{url}` or `{name}`. */
export type BuildpackItem = string | { readonly url?: string; readonly name?: string; readonly buildpack?: string };

export interface BuildBody {
  readonly source_blob: { readonly url: string; readonly version?: string | null; readonly checksum?: string | null };
  readonly buildpacks?: readonly BuildpackItem[] | null;
}

export interface BuildpackInstallationsBody {
  readonly updates: readonly BuildpackItem[];
}

export type SizeRef = string | { readonly name?: string };

export interface FormationUpdateBody {
  readonly quantity?: number | string;
  readonly size?: SizeRef;
  readonly dyno_size?: SizeRef;
}

export interface FormationBatchBody {
  readonly updates: ReadonlyArray<FormationUpdateBody & { readonly type: string }>;
}

export type FormationBody = FormationUpdateBody | null;

export interface DynoCreateBody {
  readonly command: string;
  readonly attach?: boolean | null;
  readonly force_no_tty?: boolean | null;
  readonly env?: Readonly<Record<string, string>>;
  readonly size?: string;
  readonly type?: string;
}

export type LogSessionBody = {
  readonly dyno?: string | null;
  readonly dyno_name?: string | null;
  readonly type?: string | null;
  readonly source?: string | null;
  readonly lines?: number | null;
  readonly tail?: boolean | null;
} | null;

export interface LogDrainBody {
  readonly url: string;
}

export interface DomainBody {
  readonly hostname: string;
  readonly sni_endpoint?: string | null;
}

const formationUpdate = { quantity, size: nameRef, dyno_size: nameRef } as const;
/** Buildpack entries: a reference string or an object naming it by one of these keys. */
function buildpackItems(keys: readonly string[]): Record<string, unknown> {
  return {
    type: ['string', 'object'],
    minLength: 1,
    properties: Object.fromEntries(keys.map((key) => [key, nonBlank])),
    anyOf: keys.map((key) => ({ required: [key] })),
  };
}

// ---- the routes -------------------------------------------------------------------------------------------------

export const schemas = {
  /** Routes without path parameters or a body (`GET /account`). */
  none: route({}),
  /** Routes with path parameters and no body; also the blob and stream URLs (an upload's body is a raw tarball). */
  params: route({ params: pathParams }),
  /** Restarts, stops and deletes: the CLI sends a body, which is ignored. */
  paramsIgnoringBody: route({ params: pathParams, body: ignoredBody }),
  appCreate: route({ body: optionalBody({ name: stringOrNull, region: stringOrNull, stack: { ...nameRef, type: ['string', 'object', 'null'] } }) }),
  appUpdate: route({ params: pathParams, body: optionalBody({ name: string, maintenance: { type: 'boolean' }, build_stack: nameRef }) }),
  configVarsUpdate: route({ params: pathParams, body: { type: ['object', 'null'], additionalProperties: stringOrNull } }),
  releaseCreate: route({ params: pathParams, body: optionalBody({ slug: string, release: string, description: string }) }),
  buildCreate: route({
    params: pathParams,
    body: body(['source_blob'], {
      source_blob: body(['url'], { url: nonBlank, version: stringOrNull, checksum: stringOrNull }),
      buildpacks: { type: ['array', 'null'], items: buildpackItems(['url', 'name']) },
    }),
  }),
  buildpackInstallations: route({ params: pathParams, body: body(['updates'], { updates: { type: 'array', items: buildpackItems(['buildpack', 'url', 'name']) } }) }),
  formationBatch: route({
    params: pathParams,
    body: body(['updates'], { updates: { type: 'array', minItems: 1, items: body(['type'], { type: nonBlank, ...formationUpdate }) } }),
  }),
  formationTypeUpdate: route({ params: pathParams, body: optionalBody(formationUpdate) }),
  dynoCreate: route({
    params: pathParams,
    body: body(['command'], {
      command: nonBlank,
      attach: booleanOrNull,
      force_no_tty: booleanOrNull,
      env: { type: 'object', additionalProperties: string },
      size: string,
      type: string,
    }),
  }),
  logSessionCreate: route({
    params: pathParams,
    body: optionalBody({
      dyno: stringOrNull,
      dyno_name: stringOrNull,
      type: stringOrNull,
      source: stringOrNull,
      lines: { type: ['integer', 'null'], minimum: 0 },
      tail: booleanOrNull,
    }),
  }),
  logDrainCreate: route({ params: pathParams, body: body(['url'], { url: nonBlank }) }),
  domainCreate: route({ params: pathParams, body: body(['hostname'], { hostname: string, sni_endpoint: stringOrNull }) }),
  sourceCreate: route({ body: ignoredBody }),
  addonCreate: route({
    params: pathParams,
    body: body(['plan'], {
      plan: { type: ['string', 'object'], minLength: 1, required: ['name'], properties: { name: nonBlank } },
      name: stringOrNull,
      attachment: { type: ['object', 'null'], properties: { name: stringOrNull } },
      // `addons:create -- --foo` sends booleans.
      config: { type: ['object', 'null'], additionalProperties: { type: ['string', 'boolean', 'number'] } },
      confirm: stringOrNull,
    }),
  }),
  addonUpdate: route({ params: pathParams, body: body(['plan'], { plan: { type: ['string', 'object'], minLength: 1, required: ['name'], properties: { name: nonBlank } } }) }),
  addonResolve: route({ body: body(['addon'], { addon: nonBlank, app: stringOrNull, addon_service: stringOrNull }) }),
  attachmentResolve: route({ body: body(['addon_attachment'], { addon_attachment: nonBlank, app: stringOrNull, addon_service: stringOrNull }) }),
  // The CLI sends `{addon: {name}, app: {name}, name}`; the schema also allows plain strings.
  attachmentCreate: route({
    body: body(['addon', 'app'], {
      addon: { type: ['string', 'object'], minLength: 1, properties: { name: stringOrNull, id: stringOrNull } },
      app: { type: ['string', 'object'], minLength: 1, properties: { name: stringOrNull, id: stringOrNull } },
      name: stringOrNull,
      namespace: stringOrNull,
      confirm: stringOrNull,
    }),
  }),
} as const satisfies Record<string, FastifySchema>;
