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
export type SniEndpointParams = AppParams & { readonly endpoint: string };
export type DrainParams = AppParams & { readonly drain: string };
export type CollaboratorParams = AppParams & { readonly collaborator: string };
export type WebhookParams = AppParams & { readonly webhook: string };
export type WebhookDeliveryParams = AppParams & { readonly delivery: string };
export type WebhookEventParams = AppParams & { readonly event: string };
export type AppFeatureParams = AppParams & { readonly feature: string };
export interface FeatureParams {
  readonly feature: string;
}
export interface CollaboratorBody {
  readonly user: string;
}
export interface SlugBody {
  readonly process_types: Record<string, string>;
  readonly commit?: string | null;
  readonly commit_description?: string | null;
  readonly buildpack_provided_description?: string | null;
  readonly checksum?: string | null;
}
export interface AccountBody {
  readonly name?: string | null;
}
export interface FeatureBody {
  readonly enabled: boolean;
}
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
  /** Berth's own (`berth container:push`): build one Dockerfile of the source as an image of `type`, releasing nothing. */
  readonly container_push?: {
    readonly type: string;
    readonly dockerfile: string;
    readonly build_args?: Readonly<Record<string, string>> | null;
  } | null;
}

export interface BuildpackInstallationsBody {
  readonly updates: readonly BuildpackItem[];
}

export type SizeRef = string | { readonly name?: string };

export interface FormationUpdateBody {
  readonly quantity?: number | string;
  readonly size?: SizeRef;
  readonly dyno_size?: SizeRef;
  /** Variant `3.docker-releases` (`heroku container:release`, `container:rm`): the type's image, or null to remove it. */
  readonly docker_image?: string | null;
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

export type ChaosParams = AppParams & { readonly kind: string };
export type ChaosBody = {
  readonly dyno?: string | null;
  readonly signal?: string | null;
  readonly exit_code?: number | null;
  readonly seconds?: number | null;
} | null;
export interface ClockBody {
  readonly speed: number;
}

export type LogSessionBody = {
  readonly dyno?: string | null;
  readonly dyno_name?: string | null;
  readonly type?: string | null;
  readonly source?: string | null;
  readonly lines?: number | null;
  readonly tail?: boolean | null;
  readonly berth_vitals?: boolean | null;
} | null;

export interface LogDrainBody {
  readonly url: string;
}

export interface DomainBody {
  readonly hostname: string;
  readonly sni_endpoint?: string | null;
}

export interface DomainUpdateBody {
  readonly sni_endpoint: string | null;
}

export interface SniEndpointBody {
  readonly certificate_chain: string;
  readonly private_key: string;
}

export interface WebhookBody {
  readonly include?: string[];
  readonly level?: 'notify' | 'sync';
  readonly url?: string;
  readonly secret?: string | null;
  readonly authorization?: string | null;
}

const webhookFields = {
  include: { type: 'array', items: string },
  level: { type: 'string', enum: ['notify', 'sync'] },
  url: string,
  secret: stringOrNull,
  authorization: stringOrNull,
} as const;

/** A pipeline, or an app of one, by id or name: a string, or `{"id": ...}` / `{"name": ...}`. */
export type IdRef = string | { readonly id?: string; readonly name?: string };

export interface PipelineParams {
  readonly pipeline: string;
}
export interface CouplingParams {
  readonly coupling: string;
}
export interface PromotionParams {
  readonly promotion: string;
}

export interface PipelineCreateBody {
  readonly name: string;
  readonly owner?: { readonly id?: string; readonly type?: string } | null;
}

export interface PipelineUpdateBody {
  readonly name: string;
}

export interface CouplingCreateBody {
  readonly app: IdRef;
  readonly pipeline: IdRef;
  readonly stage: string;
}

export interface CouplingUpdateBody {
  readonly stage: string;
}

/** `POST /filters/apps` as `pipelines:info` sends it: `{"in": {"id": [...]}}`. */
export interface AppFilterBody {
  readonly in?: { readonly id?: readonly string[] } | null;
}

export interface PromotionCreateBody {
  readonly pipeline: IdRef;
  readonly source: { readonly app: IdRef };
  readonly targets: ReadonlyArray<{ readonly app: IdRef }>;
}

export interface AppSetupBody {
  readonly source_blob: { readonly url: string; readonly checksum?: string | null; readonly version?: string | null };
  readonly app?: { readonly name?: string | null; readonly region?: string | null; readonly stack?: string | null } | null;
  readonly overrides?: {
    readonly env?: Readonly<Record<string, string>> | null;
    readonly buildpacks?: ReadonlyArray<{ readonly url: string }> | null;
  } | null;
  /** Sent by `pipelines:setup`, not in the public schema: couple the new app (reference: heroku-workflows.md §2). */
  readonly pipeline_coupling?: { readonly pipeline: string; readonly stage: string } | null;
}

export interface TestRunBody {
  readonly commit_branch: string;
  readonly commit_message: string;
  readonly commit_sha: string;
  readonly pipeline: string;
  readonly source_blob_url: string;
}

export type StageParams = PipelineParams & { readonly stage: string };

export interface ReviewAppBody {
  readonly branch: string;
  readonly pipeline: string;
  readonly source_blob: { readonly url: string; readonly version?: string | null };
  readonly environment?: Readonly<Record<string, string>> | null;
}

/** `POST`/`PATCH /pipelines/{id}/review-app-config` (the CLI also sends `pipeline`, which the path already names). */
export interface ReviewAppConfigBody {
  readonly repo?: string | null;
  readonly automatic_review_apps?: boolean | null;
  readonly destroy_stale_apps?: boolean | null;
  readonly stale_days?: number | null;
  readonly wait_for_ci?: boolean | null;
  readonly base_name?: string | null;
  readonly deploy_target?: { readonly id: string; readonly type: string } | null;
}

export interface ReviewAppParams {
  readonly review: string;
}

export interface TestRunParams {
  readonly run: string;
}
export type PipelineTestRunParams = PipelineParams & { readonly number: string };
export type TestStreamParams = StreamParams & { readonly phase: string };

export interface SetupParams {
  readonly setup: string;
}

const idRef = { type: ['string', 'object'], minLength: 1, properties: { id: string, name: string } } as const;
const appRef = body(['app'], { app: idRef });

/** An engine image id as Heroku's registry answers it (the manifest's `config.digest`). */
const dockerImage = { type: ['string', 'null'], pattern: '^sha256:[0-9a-f]{64}$' } as const;
const formationUpdate = { quantity, size: nameRef, dyno_size: nameRef, docker_image: dockerImage } as const;
/** Heroku's process type names (`formation.type`). */
const processType = { type: 'string', pattern: '^[-\\w]{1,128}$' } as const;
/** A path inside the source: relative, never climbing out of it. */
const innerPath = { type: 'string', minLength: 1, pattern: '^(?!/)(?!(.*/)?\\.\\.(/|$)).+$' } as const;
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
      container_push: {
        type: ['object', 'null'],
        required: ['type', 'dockerfile'],
        properties: { type: processType, dockerfile: innerPath, build_args: { type: ['object', 'null'], additionalProperties: string } },
      },
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
      // Berth's dashboard: the stream carries each dyno's memory readings too (not Heroku's).
      berth_vitals: booleanOrNull,
    }),
  }),
  logDrainCreate: route({ params: pathParams, body: body(['url'], { url: nonBlank }) }),
  domainCreate: route({ params: pathParams, body: body(['hostname'], { hostname: string, sni_endpoint: stringOrNull }) }),
  domainUpdate: route({ params: pathParams, body: body(['sni_endpoint'], { sni_endpoint: stringOrNull }) }),
  sniEndpointUpload: route({ params: pathParams, body: body(['certificate_chain', 'private_key'], { certificate_chain: string, private_key: string }) }),
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
  webhookCreate: route({ params: pathParams, body: body(['include', 'level', 'url'], webhookFields) }),
  webhookUpdate: route({ params: pathParams, body: optionalBody(webhookFields) }),
  collaboratorCreate: route({ params: pathParams, body: body(['user'], { user: nonBlank, silent: booleanOrNull }) }),
  slugCreate: route({
    params: pathParams,
    body: body(['process_types'], {
      process_types: { type: 'object', additionalProperties: string },
      commit: stringOrNull,
      commit_description: stringOrNull,
      buildpack_provided_description: stringOrNull,
      checksum: stringOrNull,
      stack: stringOrNull,
    }),
  }),
  accountUpdate: route({ body: optionalBody({ name: stringOrNull, allow_tracking: booleanOrNull, beta: booleanOrNull }) }),
  featureUpdate: route({ params: pathParams, body: body(['enabled'], { enabled: { type: 'boolean' } }) }),
  appSetupCreate: route({
    body: body(['source_blob'], {
      source_blob: body(['url'], { url: nonBlank, checksum: stringOrNull, version: stringOrNull }),
      app: { type: ['object', 'null'], properties: { name: stringOrNull, region: stringOrNull, stack: stringOrNull } },
      overrides: {
        type: ['object', 'null'],
        properties: {
          env: { type: ['object', 'null'], additionalProperties: string },
          buildpacks: { type: ['array', 'null'], items: body(['url'], { url: nonBlank }) },
        },
      },
      pipeline_coupling: { type: ['object', 'null'], required: ['pipeline', 'stage'], properties: { pipeline: nonBlank, stage: nonBlank } },
    }),
  }),
  stageConfigUpdate: route({ params: pathParams, body: { type: 'object', additionalProperties: stringOrNull } }),
  reviewAppCreate: route({
    body: body(['branch', 'pipeline', 'source_blob'], {
      branch: nonBlank,
      pipeline: nonBlank,
      source_blob: body(['url'], { url: nonBlank, version: stringOrNull }),
      environment: { type: ['object', 'null'], additionalProperties: string },
    }),
  }),
  reviewAppConfig: route({
    params: pathParams,
    body: optionalBody({
      repo: stringOrNull,
      automatic_review_apps: booleanOrNull,
      destroy_stale_apps: booleanOrNull,
      stale_days: { type: ['integer', 'null'] },
      wait_for_ci: booleanOrNull,
      base_name: stringOrNull,
      deploy_target: {
        type: ['object', 'null'],
        required: ['id', 'type'],
        properties: { id: { type: 'string', pattern: '^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$|^[a-z]{2}$' }, type: { enum: ['space', 'region'] } },
      },
    }),
  }),
  testRunCreate: route({
    body: body(['commit_branch', 'commit_message', 'commit_sha', 'pipeline', 'source_blob_url'], {
      commit_branch: string,
      commit_message: string,
      commit_sha: string,
      pipeline: nonBlank,
      source_blob_url: nonBlank,
    }),
  }),
  pipelineCreate: route({ body: body(['name'], { name: string, owner: { type: ['object', 'null'], properties: { id: string, type: string } } }) }),
  pipelineUpdate: route({ params: pathParams, body: body(['name'], { name: string }) }),
  couplingCreate: route({ body: body(['app', 'pipeline', 'stage'], { app: idRef, pipeline: idRef, stage: string }) }),
  couplingUpdate: route({ params: pathParams, body: body(['stage'], { stage: string }) }),
  appFilter: route({ body: optionalBody({ in: { type: ['object', 'null'], properties: { id: { type: 'array', items: string } } } }) }),
  promotionCreate: route({
    body: body(['pipeline', 'source', 'targets'], { pipeline: idRef, source: appRef, targets: { type: 'array', items: appRef } }),
  }),
  // Berth's teaching controls (issue 18): not Heroku's API, so under /berth/.
  chaosRun: route({
    params: pathParams,
    body: optionalBody({ dyno: stringOrNull, signal: stringOrNull, exit_code: { type: ['integer', 'null'] }, seconds: { type: ['number', 'null'] } }),
  }),
  clockSet: route({ body: body(['speed'], { speed: { type: 'number' } }) }),
} as const satisfies Record<string, FastifySchema>;
