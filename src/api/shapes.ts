// Platform API v3 shapes (snake_case, as in the schema) built from Berth's records.
import { createHash } from 'node:crypto';
import { uuidFromHex } from '../ids.js';
import type { Account, AppRecord, BuildpackRef, BuildRecord, DynoRecord, FormationRecord, ReleaseRecord, SlugRecord } from '../contracts/records.js';
import type { Collaborator } from '../apps/index.js';
import type { AddonFacts, AttachmentFacts } from '../contracts/resources.js';
import type { Domain, SniEndpoint } from '../domains/index.js';
import type { DynoSize } from '../dynos/index.js';
import type { LogSession } from '../logs/index.js';
import type { LogDrainRecord } from '../logs/index.js';
import type { Coupling, Pipeline, Promotion, PromotionTarget, ReviewApp, ReviewAppConfig, TestCase, TestRun } from '../pipelines/index.js';
import type { Setup } from '../setups/index.js';

export interface ShapeContext {
  readonly account: Account;
  /** `https://<git host>/<app>.git`, the remote the heroku CLI writes. */
  gitUrl(app: string): string;
  webUrl(app: string): string;
  /** Whether Automatic Certificate Management is on for the app (`certs:auto:disable` turns it off). */
  acm(appId: string): boolean;
}

// Stable ids for the fixed catalogue entries Berth answers with (one stack, two regions, one generation).
const STACK_IDS: Readonly<Record<string, string>> = {
  'heroku-24': 'ae1d1b9c-0a6e-4f64-9b2c-24b0e7f0c024',
  container: 'c0a7a3d4-5c1b-4f2e-9d3a-c0a7a1e20000',
};
const REGION_IDS: Readonly<Record<string, string>> = {
  us: '59accabd-516d-4f0e-83e6-6e3757701145',
  eu: 'ed30241c-ed8c-4bb6-9714-61953675d0b4',
};
const CEDAR = { id: '1d7a2d5a-7c42-4f2e-8f8a-4d1b5d8c0cda', name: 'cedar' } as const;

function stackRef(name: string): { id: string; name: string } {
  return { id: STACK_IDS[name] ?? '00000000-0000-4000-8000-000000000000', name };
}

export function accountShape(account: Account) {
  return {
    allow_tracking: false,
    beta: false,
    created_at: account.createdAt,
    email: account.email,
    federated: false,
    id: account.id,
    identity_provider: null,
    last_login: account.createdAt,
    name: account.name,
    sms_number: null,
    suspended_at: null,
    delinquent_at: null,
    two_factor_authentication: false,
    updated_at: account.createdAt,
    verified: true,
    country_of_residence: null,
    default_organization: null,
    default_team: null,
  };
}

export function appShape(app: AppRecord, ctx: ShapeContext) {
  return {
    // Every app's host names get certificates from the local CA, as ACM gives them on Heroku (`certs:auto`).
    acm: ctx.acm(app.id),
    archived_at: null,
    buildpack_provided_description: app.buildpackProvidedDescription,
    build_stack: stackRef(app.buildStack),
    created_at: app.createdAt,
    create_status: 'complete',
    generation: CEDAR,
    git_url: ctx.gitUrl(app.name),
    id: app.id,
    internal_routing: null,
    maintenance: app.maintenance,
    name: app.name,
    owner: { email: ctx.account.email, id: ctx.account.id },
    organization: null,
    team: null,
    region: { id: REGION_IDS[app.region] ?? REGION_IDS['us'], name: app.region },
    released_at: app.releasedAt,
    // The CLI prints `repo_size: null` as "0 B"; a missing field would make it throw.
    repo_size: null,
    slug_size: app.slugSize,
    space: null,
    stack: stackRef(app.stack),
    updated_at: app.updatedAt,
    web_url: ctx.webUrl(app.name),
  };
}

export function releaseShape(release: ReleaseRecord, app: AppRecord) {
  return {
    addon_plan_names: release.addonPlanNames,
    // The schema names an image artifact `oci-image` (release.artifact.id is a slug id or an oci-image id).
    artifacts: release.artifact ? [{ type: release.artifact.type === 'image' ? 'oci-image' : 'slug', id: release.artifact.id }] : [],
    app: { id: app.id, name: app.name },
    created_at: release.createdAt,
    description: release.description,
    id: release.id,
    updated_at: release.updatedAt,
    slug: release.artifact?.type === 'slug' ? { id: release.artifact.id } : null,
    status: release.status,
    user: { id: release.userId, email: release.userEmail },
    version: release.version,
    current: release.current,
    output_stream_url: release.outputStreamUrl,
    eligible_for_rollback: release.status === 'succeeded',
  };
}

export function buildShape(build: BuildRecord, outputUrl: string) {
  return {
    app: { id: build.appId },
    buildpacks: build.buildpacks ? build.buildpacks.map((bp) => ({ url: bp.url, name: bp.name })) : null,
    created_at: build.createdAt,
    generation: CEDAR,
    id: build.id,
    output_stream_url: outputUrl,
    source_blob: {
      checksum: build.sourceChecksum,
      url: build.sourceUrl,
      version: build.sourceVersion,
      version_description: build.sourceVersionDescription,
    },
    release: build.releaseId ? { id: build.releaseId } : null,
    slug: build.slugId ? { id: build.slugId } : null,
    stack: build.stack,
    status: build.status,
    updated_at: build.updatedAt,
    user: { id: build.userId, email: build.userEmail },
  };
}

export function slugShape(slug: SlugRecord) {
  return {
    blob: { method: 'get', url: `file://${slug.blobPath}` },
    buildpack_provided_description: slug.buildpackProvidedDescription,
    checksum: slug.checksum,
    commit: slug.commit,
    commit_description: slug.commitDescription,
    created_at: slug.createdAt,
    id: slug.id,
    process_types: slug.processTypes,
    size: slug.size,
    stack: stackRef(slug.stack),
    updated_at: slug.createdAt,
  };
}

export function buildpackInstallationShape(buildpack: BuildpackRef, ordinal: number) {
  return { buildpack: { url: buildpack.url, name: buildpack.name }, ordinal };
}

export function formationShape(f: FormationRecord, app: AppRecord) {
  return {
    app: { id: app.id, name: app.name },
    command: f.command,
    created_at: f.createdAt,
    dyno_size: { id: null, name: f.size },
    id: f.id,
    quantity: f.quantity,
    size: f.size,
    type: f.type,
    updated_at: f.updatedAt,
  };
}

export function dynoShape(d: DynoRecord, app: AppRecord, attachUrl: string | null) {
  return {
    app: { id: app.id, name: app.name },
    attach_url: attachUrl,
    command: d.command,
    created_at: d.createdAt,
    id: d.id,
    name: d.name,
    release: { id: d.releaseId, version: d.releaseVersion },
    size: d.size,
    state: d.state,
    type: d.type,
    updated_at: d.updatedAt,
  };
}

export function domainShape(domain: Domain) {
  return {
    // A custom domain without the user's own certificate is served one the local CA issued (Berth's ACM).
    acm_status: domain.kind === 'custom' && domain.sniEndpoint === null ? 'ok' : null,
    acm_status_reason: null,
    app: { id: domain.appId, name: domain.appName },
    cname: domain.cname,
    created_at: domain.createdAt,
    hostname: domain.hostname,
    id: domain.id,
    kind: domain.kind,
    sni_endpoint: domain.sniEndpoint === null ? null : { id: domain.sniEndpoint.id, name: domain.sniEndpoint.name },
    status: domain.status,
    updated_at: domain.updatedAt,
  };
}

export function sniEndpointShape(endpoint: SniEndpoint) {
  const cert = endpoint.sslCert;
  return {
    app: { id: endpoint.appId, name: endpoint.appName },
    certificate_chain: endpoint.certificateChain,
    created_at: endpoint.createdAt,
    display_name: null,
    domains: endpoint.domains,
    id: endpoint.id,
    name: endpoint.name,
    ssl_cert: {
      acm: false,
      'ca_signed?': cert.caSigned,
      cert_domains: cert.certDomains,
      expires_at: cert.expiresAt,
      id: cert.id,
      issuer: cert.issuer,
      'self_signed?': cert.selfSigned,
      starts_at: cert.startsAt,
      subject: cert.subject,
    },
    updated_at: endpoint.updatedAt,
  };
}

/** An add-on as `GET /apps/{app}/addons/{addon}` answers it (and an `api:addon` webhook event's `data`). */
export function addonShape(view: AddonFacts) {
  const { addon, service, plan, app } = view;
  return {
    actions: [],
    addon_service: { id: service.id, name: service.name },
    billing_entity: { id: app.id, name: app.name, type: 'app' },
    app: { id: app.id, name: app.name },
    // `addons` and `addons:info` print the price from here (`~$NaN/hour` without it).
    billed_price: { cents: plan.priceCents, contract: false, unit: 'month' },
    config_vars: view.configVars,
    created_at: addon.createdAt,
    id: addon.id,
    name: addon.name,
    plan: { id: plan.id, name: `${service.name}:${plan.name}`, price: { cents: plan.priceCents, contract: false, unit: 'month', metered: false } },
    provider_id: addon.id,
    provision_message: null,
    state: addon.state,
    updated_at: addon.updatedAt,
    web_url: null,
  };
}

/** An attachment as `GET /addon-attachments/{id}` answers it (and an `api:addon-attachment` event's `data`). */
export function attachmentShape(view: AttachmentFacts) {
  const { attachment, addon, app } = view;
  return {
    // The pg commands need `addon.plan.name` and `config_vars` (`Accept-Inclusion: addon:plan,config_vars`).
    addon: {
      id: addon.addon.id,
      name: addon.addon.name,
      app: { id: addon.app.id, name: addon.app.name },
      plan: { id: addon.plan.id, name: `${addon.service.name}:${addon.plan.name}` },
    },
    app: { id: app.id, name: app.name },
    config_vars: [`${attachment.name}_URL`],
    created_at: attachment.createdAt,
    id: attachment.id,
    name: attachment.name,
    namespace: attachment.namespace,
    updated_at: attachment.updatedAt,
    web_url: null,
    log_input_url: null,
  };
}

export function logDrainShape(drain: LogDrainRecord, app: AppRecord) {
  return {
    id: drain.id,
    url: drain.url,
    token: drain.token,
    addon: null,
    app: { id: app.id, name: app.name },
    created_at: drain.createdAt,
    updated_at: drain.updatedAt,
  };
}

export function logSessionShape(session: LogSession) {
  return { id: session.id, logplex_url: session.url, created_at: session.createdAt, updated_at: session.createdAt };
}

/** `POST /sources`: one URL to PUT the tarball to and GET it from. */
export function sourceShape(url: string) {
  return { source_blob: { get_url: url, put_url: url } };
}

// ---- the platform's catalogue: stacks, regions, dyno sizes (GET /stacks, /regions, /dyno-sizes) -----------------

/** When Berth's catalogue entries say they were created: heroku-24's general availability. */
const CATALOGUE_CREATED_AT = '2024-06-03T00:00:00Z';

/** A stable UUID for a fixed catalogue entry, so clients that cache ids see the same one every time. */
function catalogueId(kind: string, name: string): string {
  const hex = createHash('sha1').update(`berth:${kind}:${name}`).digest('hex');
  return uuidFromHex(hex, 5);
}

export function stackShape(name: string, isDefault: boolean) {
  return { created_at: CATALOGUE_CREATED_AT, default: isDefault, id: stackRef(name).id, name, state: 'public', updated_at: CATALOGUE_CREATED_AT };
}

/** Heroku's common-runtime regions as `GET /regions` describes them; Berth runs both on this machine. */
const REGION_DETAILS: Readonly<Record<string, { country: string; description: string; locale: string; provider: string }>> = {
  us: { country: 'United States', description: 'United States', locale: 'Virginia', provider: 'us-east-1' },
  eu: { country: 'Ireland', description: 'Europe', locale: 'Dublin', provider: 'eu-west-1' },
};

export function regionShape(name: string) {
  const details = REGION_DETAILS[name] ?? { country: name, description: name, locale: name, provider: name };
  return {
    country: details.country,
    created_at: CATALOGUE_CREATED_AT,
    description: details.description,
    id: REGION_IDS[name] ?? catalogueId('region', name),
    locale: details.locale,
    name,
    private_capable: false,
    provider: { name: 'amazon-web-services', region: details.provider },
    updated_at: CATALOGUE_CREATED_AT,
  };
}

export function dynoSizeShape(size: DynoSize) {
  return {
    architecture: 'amd64',
    compute: size.compute,
    // Nothing on Berth costs money.
    cost: null,
    dedicated: false,
    precise_dyno_units: size.dynoUnits,
    generation: CEDAR,
    id: dynoSizeId(size.name),
    memory: size.memoryMb / 1024,
    name: size.name,
    private_space_only: false,
  };
}

export function dynoSizeId(name: string): string {
  return catalogueId('dyno-size', name);
}

/** An app's collaborator: the owner (the one local account) or someone added with `access:add`. */
export function collaboratorShape(c: Collaborator) {
  return {
    app: { id: c.appId, name: c.appName },
    created_at: c.createdAt,
    id: c.id,
    permissions: [],
    role: c.role,
    updated_at: c.updatedAt,
    user: { email: c.email, federated: false, id: c.userId },
  };
}

export function pipelineShape(pipeline: Pipeline) {
  return {
    created_at: pipeline.createdAt,
    id: pipeline.id,
    name: pipeline.name,
    owner: pipeline.ownerId === null ? null : { id: pipeline.ownerId, type: pipeline.ownerType ?? 'user' },
    updated_at: pipeline.updatedAt,
    generation: CEDAR,
  };
}

/** The CLI reads `pipeline.name` (promote, apps:info) and `app.id`; both names are given. */
export function couplingShape(coupling: Coupling, app: AppRecord, pipeline: Pipeline) {
  return {
    app: { id: app.id, name: app.name },
    created_at: coupling.createdAt,
    id: coupling.id,
    pipeline: { id: pipeline.id, name: pipeline.name },
    stage: coupling.stage,
    updated_at: coupling.updatedAt,
  };
}

export function promotionShape(promotion: Promotion) {
  return {
    created_at: promotion.createdAt,
    id: promotion.id,
    pipeline: { id: promotion.pipelineId },
    source: { app: { id: promotion.sourceAppId }, release: { id: promotion.sourceReleaseId } },
    status: promotion.status,
    updated_at: promotion.updatedAt,
  };
}

export function promotionTargetShape(target: PromotionTarget) {
  return {
    app: { id: target.appId },
    error_message: target.errorMessage,
    id: target.id,
    pipeline_promotion: { id: target.promotionId },
    release: target.releaseId === null ? null : { id: target.releaseId },
    status: target.status,
  };
}

/** `success_url`: a full URL as it is, a path resolved against the app's URL. */
function resolvedSuccessUrl(successUrl: string | null, webUrl: string | undefined): string | null {
  if (successUrl === null || webUrl === undefined) return null;
  if (!successUrl.startsWith('/')) return successUrl;
  return `${webUrl.replace(/\/$/, '')}${successUrl}`;
}

export function appSetupShape(
  setup: Setup,
  now: { app: AppRecord | undefined; build: { id: string; status: string; outputStreamUrl: string } | undefined; webUrl: string | undefined },
) {
  return {
    id: setup.id,
    created_at: setup.createdAt,
    updated_at: setup.updatedAt,
    status: setup.status,
    failure_message: setup.failureMessage,
    app: now.app ? { id: now.app.id, name: now.app.name } : null,
    build: now.build ? { id: now.build.id, status: now.build.status, output_stream_url: now.build.outputStreamUrl } : null,
    manifest_errors: setup.manifestErrors,
    postdeploy: setup.postdeployExitCode === null ? null : { output: setup.postdeployOutput ?? '', exit_code: setup.postdeployExitCode },
    resolved_success_url: resolvedSuccessUrl(setup.successUrl, now.webUrl),
  };
}

export function testRunShape(run: TestRun, account: Account) {
  return {
    actor_email: account.email,
    clear_cache: false,
    commit_branch: run.commitBranch,
    commit_message: run.commitMessage,
    commit_sha: run.commitSha,
    debug: false,
    app_setup: run.setupId === null ? null : { id: run.setupId },
    created_at: run.createdAt,
    dyno: null,
    id: run.id,
    message: run.message,
    number: run.number,
    organization: null,
    pipeline: { id: run.pipelineId },
    status: run.status,
    source_blob_url: run.sourceBlobUrl,
    updated_at: run.updatedAt,
    user: { id: account.id, email: account.email },
    warning_message: null,
  };
}

/** A run's one test node; its stream URLs carry the run's secret. */
export function testNodeShape(run: TestRun, urls: { setup: string; output: string }) {
  return {
    created_at: run.createdAt,
    dyno: null,
    error_status: null,
    exit_code: run.exitCode,
    id: run.nodeId,
    index: 0,
    message: run.message,
    output_stream_url: urls.output,
    pipeline: { id: run.pipelineId },
    setup_stream_url: urls.setup,
    status: run.status,
    test_run: { id: run.id },
    updated_at: run.updatedAt,
  };
}

/**
 * S:test-case, one per TAP test line of the node's output. Berth keeps no test case records: each is read from the
 * stored output, so its id is derived from the run's node and the test's position.
 */
export function testCaseShape(run: TestRun, testCase: TestCase, position: number) {
  const hex = createHash('sha1').update(`${run.nodeId}/${position}`).digest('hex');
  return {
    created_at: run.updatedAt,
    description: testCase.description,
    diagnostic: testCase.diagnostic,
    directive: testCase.directive,
    id: uuidFromHex(hex, 5),
    number: testCase.number,
    passed: testCase.passed,
    test_node: { id: run.nodeId },
    test_run: { id: run.id },
    updated_at: run.updatedAt,
  };
}

/** S:review-app-config. `repo.id` is GitHub's repository id, which a Berth pipeline has none of. */
export function reviewAppConfigShape(config: ReviewAppConfig) {
  return {
    automatic_review_apps: config.automaticReviewApps,
    base_name: config.baseName,
    deploy_target: config.deployTarget,
    destroy_stale_apps: config.destroyStaleApps,
    pipeline_id: config.pipelineId,
    repo: { id: null },
    stale_days: config.staleDays,
    wait_for_ci: config.waitForCi,
  };
}

export function reviewAppShape(review: ReviewApp, account: Account) {
  return {
    app: review.appId === null ? null : { id: review.appId },
    app_setup: review.setupId === null ? null : { id: review.setupId },
    branch: review.branch,
    created_at: review.createdAt,
    creator: { id: account.id },
    error_status: null,
    fork_repo: null,
    id: review.id,
    message: review.message,
    pipeline: { id: review.pipelineId },
    pr_number: null,
    status: review.status,
    updated_at: review.updatedAt,
    wait_for_ci: false,
  };
}
