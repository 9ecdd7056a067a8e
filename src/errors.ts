// One catalogue of the errors Berth raises on purpose. Each entry has a stable Berth code, Heroku's error `id`, the
// HTTP status and a message template (Heroku's own wording where shared/reference quotes it). `{name}` in a template
// is a parameter: `raise('app_name_taken')`, `raise('process_type_not_found', { type: 'worker' })`; the compiler
// checks that every placeholder gets a value. Only api/ turns these into Heroku's `{id, message, resource?}` body.

/** Heroku's error ids (the `id` of an error body). */
export type ErrorId =
  | 'bad_request'
  | 'invalid_params'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'requested_range_not_satisfiable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'service_unavailable'
  | 'internal_server_error';

export interface CatalogueEntry {
  readonly id: ErrorId;
  readonly status: number;
  readonly message: string;
  /** Heroku names the resource in not_found errors (`"resource":"app"`). */
  readonly resource?: string;
}

const notFound = (resource: string, noun: string = resource) =>
  ({ id: 'not_found', status: 404, message: `Couldn't find that ${noun}.`, resource }) as const;
const invalid = <M extends string>(message: M) => ({ id: 'invalid_params', status: 422, message }) as const;
const badRange = <M extends string>(message: M) => ({ id: 'requested_range_not_satisfiable', status: 416, message }) as const;

export const CATALOGUE = {
  // ---- requests ---------------------------------------------------------------------------------------------------
  body_json_invalid: { id: 'bad_request', status: 400, message: 'Request body must be valid JSON.' },
  body_too_large: { id: 'payload_too_large', status: 413, message: 'Request body is larger than the limit of {limit} bytes.' },
  content_type_unsupported: { id: 'unsupported_media_type', status: 415, message: 'Unsupported Content-Type: {type}.' },
  request_invalid: { id: 'bad_request', status: 400, message: 'The request could not be understood: {reason}' },
  params_invalid: invalid('{field} {problem}.'),
  credentials_invalid: { id: 'unauthorized', status: 401, message: 'Invalid credentials provided.' },
  route_not_found: {
    id: 'not_found',
    status: 404,
    message:
      'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your URL correctly?',
  },
  // ---- Range paging -----------------------------------------------------------------------------------------------
  range_field_invalid: badRange('Invalid Range header: sorting by "{field}" is not supported; use one of {fields}.'),
  range_max_invalid: badRange('Invalid Range header: max must be a positive integer, got "{value}".'),
  range_order_invalid: badRange('Invalid Range header: order must be asc or desc, got "{value}".'),
  range_option_unknown: badRange('Invalid Range header: unknown option "{option}".'),
  // ---- not found --------------------------------------------------------------------------------------------------
  addon_service_not_found: notFound('add_on service', 'add-on service'),
  backup_not_found: notFound('backup'),
  app_not_found: notFound('app'),
  build_not_found: notFound('build'),
  buildpack_not_found: notFound('buildpack'),
  collaborator_not_found: notFound('collaborator'),
  domain_not_found: notFound('domain'),
  sni_endpoint_not_found: notFound('sni-endpoint', 'SNI endpoint'),
  dyno_not_found: notFound('dyno', 'process'),
  dyno_size_not_found: notFound('dyno-size', 'dyno size'),
  log_drain_not_found: notFound('log-drain', 'log drain'),
  webhook_not_found: notFound('webhook'),
  feature_not_found: notFound('feature'),
  webhook_delivery_not_found: notFound('webhook-delivery', 'webhook delivery'),
  webhook_event_not_found: notFound('webhook-event', 'webhook event'),
  log_session_not_found: notFound('log-session', 'log session'),
  process_type_not_found: { id: 'not_found', status: 404, message: "Couldn't find that process type ({type}).", resource: 'formation' },
  region_not_found: notFound('region'),
  release_not_found: notFound('release'),
  slug_not_found: notFound('slug'),
  source_not_found: notFound('source'),
  stack_not_found: notFound('stack'),
  user_not_found: notFound('user'),
  app_setup_not_found: notFound('app-setup', 'app setup'),
  pipeline_not_found: notFound('pipeline'),
  pipeline_coupling_not_found: notFound('pipeline-coupling', 'pipeline coupling'),
  pipeline_promotion_not_found: notFound('pipeline-promotion', 'pipeline promotion'),
  test_run_not_found: notFound('test-run', 'test run'),
  review_app_not_found: notFound('review-app', 'review app'),
  review_app_config_not_found: { id: 'not_found', status: 404, message: 'Review apps are not enabled for this pipeline.', resource: 'review-app-config' },
  review_app_branch_not_found: { id: 'not_found', status: 404, message: 'No app of the {pipeline} pipeline has the branch {branch} in its git repo.', resource: 'branch' },
  // ---- apps -------------------------------------------------------------------------------------------------------
  app_name_taken: invalid('Name is already taken'),
  app_name_too_short: invalid('Name is too short (minimum is 3 characters)'),
  app_name_too_long: invalid('Name is too long (maximum is 30 characters)'),
  app_name_invalid: invalid('Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.'),
  stack_unavailable: invalid('Stack {stack} is not available in Berth; it runs {available}.'),
  // ---- add-ons ----------------------------------------------------------------------------------------------------
  addon_plan_not_found: invalid('Couldn\'t find either the add-on service or the add-on plan of "{plan}".'),
  // The CLI falls back to an app-less resolve only on a 404 naming `add_on` (`add_on attachment` for attachments).
  addon_not_found: { id: 'not_found', status: 404, message: "Couldn't find that add on.", resource: 'add_on' },
  attachment_not_found: { id: 'not_found', status: 404, message: "Couldn't find that add on attachment.", resource: 'add_on attachment' },
  // [U] Heroku's wordings for these are unconfirmed.
  addon_name_invalid: invalid('Name {name} is invalid: it must start with a letter and contain only letters, digits, underscores and dashes.'),
  addon_name_taken: invalid('Name is already taken'),
  attachment_name_invalid: invalid('Attachment name {name} is invalid: it must start with a letter and contain only letters, digits and underscores.'),
  attachment_name_taken: invalid('Name {name} is already used by another attachment or config var of this app.'),
  addon_not_on_app: invalid('{addon} is not owned by {app}: destroy it from the app that owns it.'),
  addon_provision_failed: { id: 'service_unavailable', status: 503, message: 'The server of {name} did not start; the add-on was not created. See the daemon log.' },
  // [U] S3 answers an expired presigned URL with 403 `Request has expired`.
  backup_url_expired: { id: 'forbidden', status: 403, message: 'Request has expired: get a new URL with heroku pg:backups:url.' },
  credential_not_found: notFound('credential'),
  // The CLI refuses before calling; the API says the same. [U] The wordings of the other two are Berth's.
  credential_essential_plan: invalid("You can't create a custom credential on Essential-tier databases."),
  credential_name_invalid: invalid('Name {name} is invalid: it must start with a lowercase letter and contain only lowercase letters, digits and underscores (at most 40).'),
  credential_name_taken: invalid('Credential {name} already exists on {addon}.'),
  // The CLI refuses both before calling (`pg:credentials:destroy`), in these words; the API says the same.
  credential_default_destroy: invalid('Default credential cannot be destroyed.'),
  credential_attached: invalid('Credential {name} must be detached from the {apps} before destroying.'),
  // ---- builds -----------------------------------------------------------------------------------------------------
  // [U] Heroku's wording for cancelling a finished build is unconfirmed.
  build_not_cancellable: invalid('Build {id} has already {status}: only a pending build can be cancelled.'),
  // ---- config vars ------------------------------------------------------------------------------------------------
  config_var_name_invalid: invalid(
    'Invalid config var name: {name}. Names must start with a letter or underscore and contain only letters, digits and underscores.',
  ),
  config_vars_too_large: invalid('Config vars are too large: {size} bytes of names and values, the limit is {limit} bytes.'),
  // ---- releases ---------------------------------------------------------------------------------------------------
  release_expired: invalid('Cannot roll back to v{version}: its slug has expired.'),
  release_not_succeeded: invalid('Cannot roll back to v{version}: it did not succeed.'),
  slug_not_uploaded: invalid('Slug {slug} has no blob yet: PUT its .tgz to the blob URL first.'),
  release_target_missing: invalid('Give either slug (a slug id) or release (a release id or version to roll back to).'),
  // [U] Heroku's wordings for releasing images through the formation are unconfirmed.
  container_stack_required: invalid('{app} is not on the container stack: run heroku stack:set container -a {app} first.'),
  docker_image_not_found: invalid('No image {image} of process type {type} was pushed to this app: push it first (berth container:push {type}).'),
  docker_manifest_unknown: { id: 'not_found', status: 404, message: 'No image of process type {type} was pushed to {app}.', resource: 'manifest' },
  docker_release_empty: invalid('This release would run no process type: release an image first.'),
  // ---- formation and dynos ----------------------------------------------------------------------------------------
  formation_quantity_invalid: invalid('Invalid quantity: {quantity}. Use a number, or +N / -N.'),
  formation_quantity_negative: invalid('Quantity cannot be less than 0.'),
  formation_quantity_too_high: invalid('Quantity cannot be more than {max} on Berth.'),
  dyno_size_invalid: invalid('No such size as {size}. Use {sizes}.'),
  // [U] Heroku's wording is unconfirmed; what is sure is that the release type runs only as the release phase.
  formation_release_not_scalable: invalid('Cannot scale the release process type: it runs once per new release, as its release phase.'),
  app_not_released: invalid('This app has no release to run yet: deploy it first.'),
  // [U] Heroku's wording is unconfirmed: `run:inside` needs a dyno whose process is running.
  dyno_not_running: invalid('{dyno} is not up: run:inside attaches only to a running dyno.'),
  // Berth's teaching controls (`berth chaos`, `berth clock`): Heroku has none, so the wording is Berth's.
  chaos_dyno_not_running: { id: 'conflict', status: 409, message: '{dyno} is {state}: chaos acts on a running dyno; try again once it is up.' },
  chaos_exit_code_invalid: invalid('Exit status must be a whole number from 0 to 255, got {code}.'),
  chaos_exit_code_unsupported: invalid('A chosen exit status needs an x86-64 engine (this one runs {arch}); crash with --signal instead.'),
  chaos_exit_failed: { id: 'conflict', status: 409, message: "{dyno}'s main process could not be made to exit (status {status}): the image needs sh and cat, and the host a kernel.yama.ptrace_scope of 0 (or no Yama)." },
  clock_speed_invalid: invalid('Clock speed must be a number from 1 to {max}, got {speed}.'),
  // ---- domains ----------------------------------------------------------------------------------------------------
  domain_hostname_missing: invalid('Hostname must be provided.'),
  domain_wildcard_unsupported: invalid('Wildcard domains are not supported by Berth.'),
  domain_hostname_invalid: invalid('{hostname} is not a valid hostname.'),
  domain_already_added: invalid('Domain already added to this app.'),
  domain_taken: invalid('{hostname} is currently in use by another app.'),
  domain_reserved: invalid('{hostname} is reserved for the app named {app}.'),
  domain_default_undeletable: invalid("{hostname} is the app's default domain and cannot be removed."),
  // ---- SNI endpoints (the user's own certificates); Heroku's wording for these was not found [U] ------------------
  sni_certificate_invalid: invalid('Certificate chain is invalid: it must hold one or more PEM-encoded certificates.'),
  sni_certificate_no_domains: invalid('Certificate names no domain: it needs a subjectAltName or a common name.'),
  sni_key_invalid: invalid('Private key is invalid: it must be a PEM-encoded private key without a passphrase.'),
  sni_key_mismatch: invalid("Private key doesn't match the certificate."),
  sni_endpoint_hostname_uncovered: invalid('The certificate of SNI endpoint {endpoint} does not cover {hostname}: it is for {names}.'),
  domain_default_sni: invalid("{hostname} is the app's default domain: its certificate is Berth's own and cannot be changed."),
  collaborator_email_invalid: invalid('{email} is not a valid email address.'),
  collaborator_already_added: invalid('{email} is already a collaborator on {app}.'),
  collaborator_owner_unremovable: invalid('The owner of an app cannot be removed from it.'),
  webhook_include_missing: invalid('Include must name at least one entity.'),
  webhook_include_invalid: invalid('Include {include} is not a supported entity.'),
  webhook_url_invalid: invalid('Url {url} is not a valid http or https URL.'),
  // ---- pipelines --------------------------------------------------------------------------------------------------
  // The schema's name pattern is ^[a-z][a-z0-9-]{2,29}$; the wording of these is Berth's [U].
  pipeline_name_invalid: invalid('Name must start with a letter, be 3 to 30 characters long and can only contain lowercase letters, digits, and dashes.'),
  pipeline_name_taken: invalid('Name is already taken'),
  pipeline_stage_invalid: invalid('Stage must be one of test, review, development, staging or production; got "{stage}".'),
  pipeline_app_already_coupled: invalid('{app} is already in the {pipeline} pipeline.'),
  pipeline_app_not_coupled: invalid('{app} is not in the {pipeline} pipeline.'),
  review_app_branch_invalid: invalid('{branch} cannot name a review app: a branch needs letters or digits.'),
  review_app_exists: invalid('The {pipeline} pipeline already has a review app for {branch}.'),
  review_app_base_name_invalid: invalid('base_name {name} must start with a letter, be 2 to 28 characters long and can only contain lowercase letters, digits, and dashes.'),
  review_app_stale_days_invalid: invalid('stale_days must be a whole number of days from 1 to 30.'),
  promotion_targets_missing: invalid('A promotion needs at least one target app.'),
  promotion_to_source: invalid('Cannot promote {app} to itself.'),
  promotion_source_not_released: invalid('{app} has no release to promote: deploy it first.'),
  // ---- log drains -------------------------------------------------------------------------------------------------
  log_drain_url_invalid: invalid('Url is invalid: use https://, http://, syslog://host:port or syslog+tls://host:port.'),
  log_drain_url_taken: invalid('Url has already been taken'),
  log_drain_limit_reached: invalid("You can't add more than {max} log drains to an app."),
  // ---- git pushes (answered as text to git and the pre-receive hook) ---------------------------------------------
  git_app_not_found: { id: 'not_found', status: 404, message: 'No such app as {app}.' },
  push_token_unknown: { id: 'forbidden', status: 403, message: 'No push is running with this token.' },
  push_nothing_to_deploy: { id: 'forbidden', status: 403, message: 'This push has nothing to deploy.' },
  // ---- sources ----------------------------------------------------------------------------------------------------
  source_too_large: { id: 'payload_too_large', status: 413, message: '{what} is larger than the limit of {limit} bytes.' },
  // ---- the platform -----------------------------------------------------------------------------------------------
  engine_unavailable: { id: 'service_unavailable', status: 503, message: 'The container engine does not answer; try again once it is running.' },
  internal_error: { id: 'internal_server_error', status: 500, message: 'An unexpected error occurred.' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;

/** The names of a template's `{placeholders}`. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
type ParamsOf<C extends ErrorCode> = { readonly [K in Placeholders<(typeof CATALOGUE)[C]['message']>]: string | number };
/** A code whose template has placeholders takes them as its second argument; others take none. */
type Args<C extends ErrorCode> = [Placeholders<(typeof CATALOGUE)[C]['message']>] extends [never] ? [] : [params: ParamsOf<C>];

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly id: ErrorId;
  readonly status: number;
  /** Heroku adds `resource` to not_found errors (`"resource":"app"`). */
  readonly resource: string | undefined;

  constructor(code: ErrorCode, params: Readonly<Record<string, string | number>> = {}) {
    const entry: CatalogueEntry = CATALOGUE[code];
    super(entry.message.replace(/\{(\w+)\}/g, (_, key: string) => String(params[key] ?? `{${key}}`)));
    this.name = 'BerthError';
    this.code = code;
    this.id = entry.id;
    this.status = entry.status;
    this.resource = entry.resource;
  }
}

/** The catalogue error for `code`, to throw or hand to a callback. */
export function berthError<C extends ErrorCode>(code: C, ...args: Args<C>): BerthError {
  return new BerthError(code, args[0]);
}

/** Throws the catalogue error for `code`. */
export function raise<C extends ErrorCode>(code: C, ...args: Args<C>): never {
  throw new BerthError(code, args[0]);
}

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}

/**
 * Errors of other rooms that are not Berth's to word but may reach a client, mapped by class name so this module
 * imports nothing (the runtime's engine-unavailable error is internal; a client sees the catalogue's 503).
 */
const INTERNAL: Readonly<Record<string, ErrorCode>> = { EngineUnavailableError: 'engine_unavailable' };

/** Any thrown value as a catalogue error: Berth's own as they are, known internal ones mapped, the rest a 500. */
export function toBerthError(value: unknown): BerthError {
  if (isBerthError(value)) return value;
  const mapped = value instanceof Error ? INTERNAL[value.name] : undefined;
  return new BerthError(mapped ?? 'internal_error');
}
