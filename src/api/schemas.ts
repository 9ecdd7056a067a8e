// JSON schemas of every Platform API route's params, query and body, with the TypeScript type each one validates to.
// They accept what real clients send (see test/compat): the heroku CLI's quantities as strings (`"2"`, `"+1"`),
// `null` config values, `updates: [...]` formation bodies, bodies that are missing or empty (`null` after parsing),
// unknown keys (the CLI sends many). Ajv runs with `coerceTypes: true` (server.ts): a number or boolean where a string is
// expected becomes its text, as Heroku takes `{"FOO": 1}`; `"true"` becomes `true`; `"100"` becomes `100`.
import type { FastifySchema } from 'fastify';
import type { ConfigPatch, StackRef } from '../apps/index.js';
import type { ReleaseRequest } from '../releases/index.js';

// ---- building blocks --------------------------------------------------------------------------------------------

const string = { type: 'string' } as const;
const nonBlank = { type: 'string', minLength: 1, pattern: '\\S' } as const;
const stringOrNull = { type: ['string', 'null'] } as const;
const booleanOrNull = { type: ['boolean', 'null'] } as const;
/** `"heroku-24"` or `{"name": "heroku-24"}`, as the schema's stack identity allows. */
const stackRef = { type: ['string', 'object'], properties: { name: string } } as const;
/** `"Basic"` or `{"name": "Basic"}` (`dyno_size`). */
const sizeRef = { type: ['string', 'object'], properties: { name: string } } as const;
/** `2`, `"2"`, `"+1"`, `"-1"`: the dyno manager reads relative and absolute quantities. */
const quantity = { type: ['integer', 'string'] } as const;

/** A body every client may leave out: the JSON parser turns an empty body into `null`. */
function optionalBody(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: ['object', 'null'], properties };
}

function body(required: readonly string[], properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', required, properties };
}

function params(...names: readonly string[]): Record<string, unknown> {
  return { type: 'object', required: names, properties: Object.fromEntries(names.map((name) => [name, nonBlank])) };
}

/** Query strings: Heroku ignores what it does not know (`?extended=true`), so any is accepted. */
const anyQuery = { type: 'object' } as const;
/** Bodies the route ignores (the CLI sends one with restarts and stops anyway). */
const ignoredBody = {} as const;

function route(parts: { params?: Record<string, unknown>; body?: Record<string, unknown> }): FastifySchema {
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

const formationUpdate = { quantity, size: sizeRef, dyno_size: sizeRef } as const;
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

const app = params('app');

export const schemas = {
  none: route({}),
  user: route({ params: params('user') }),
  app: route({ params: app }),
  appCreate: route({ body: optionalBody({ name: stringOrNull, region: stringOrNull, stack: { ...stackRef, type: ['string', 'object', 'null'] } }) }),
  appUpdate: route({ params: app, body: optionalBody({ name: string, maintenance: { type: 'boolean' }, build_stack: stackRef }) }),
  appIgnoringBody: route({ params: app, body: ignoredBody }),
  configVarsUpdate: route({ params: app, body: { type: ['object', 'null'], additionalProperties: stringOrNull } }),
  release: route({ params: params('app', 'release') }),
  releaseCreate: route({ params: app, body: optionalBody({ slug: string, release: string, description: string }) }),
  build: route({ params: params('app', 'build') }),
  buildCreate: route({
    params: app,
    body: body(['source_blob'], {
      source_blob: body(['url'], { url: nonBlank, version: stringOrNull, checksum: stringOrNull }),
      buildpacks: { type: ['array', 'null'], items: buildpackItems(['url', 'name']) },
    }),
  }),
  buildpackInstallations: route({ params: app, body: body(['updates'], { updates: { type: 'array', items: buildpackItems(['buildpack', 'url', 'name']) } }) }),
  slug: route({ params: params('app', 'slug') }),
  formationBatch: route({
    params: app,
    body: body(['updates'], { updates: { type: 'array', minItems: 1, items: body(['type'], { type: nonBlank, ...formationUpdate }) } }),
  }),
  formationType: route({ params: params('app', 'type') }),
  formationTypeUpdate: route({ params: params('app', 'type'), body: optionalBody(formationUpdate) }),
  formationTypeAction: route({ params: params('app', 'type'), body: ignoredBody }),
  dyno: route({ params: params('app', 'dyno') }),
  dynoAction: route({ params: params('app', 'dyno'), body: ignoredBody }),
  dynoCreate: route({
    params: app,
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
    params: app,
    body: optionalBody({
      dyno: stringOrNull,
      dyno_name: stringOrNull,
      type: stringOrNull,
      source: stringOrNull,
      lines: { type: ['integer', 'null'], minimum: 0 },
      tail: booleanOrNull,
    }),
  }),
  logDrain: route({ params: params('app', 'drain') }),
  logDrainCreate: route({ params: app, body: body(['url'], { url: nonBlank }) }),
  domain: route({ params: params('app', 'domain') }),
  domainCreate: route({ params: app, body: body(['hostname'], { hostname: string, sni_endpoint: stringOrNull }) }),
  sourceCreate: route({ body: ignoredBody }),
  addonCreate: route({ params: app, body: body(['plan'], { plan: { type: ['string', 'object'], minLength: 1, required: ['name'], properties: { name: nonBlank } } }) }),
  collaborator: route({ params: params('app', 'collaborator') }),
  stack: route({ params: params('stack') }),
  region: route({ params: params('region') }),
  dynoSize: route({ params: params('size') }),
  registryBuildpack: route({ params: { type: 'object', required: ['buildpack'], properties: { buildpack: nonBlank, name: nonBlank } } }),
  /** The blob and stream URLs; an upload's body is the raw tarball, not JSON, so it has no body schema. */
  stream: route({ params: params('id', 'secret') }),
} as const satisfies Record<string, FastifySchema>;
