// Pins the whole error catalogue: a change of code, id, status or wording fails here and must be made on purpose.
// README's "Errors" section is generated from the same table and must be current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BerthError, berthError, CATALOGUE, raise, toBerthError, type ErrorCode } from '../src/errors.js';

type Row = readonly [id: string, status: number, message: string, resource?: string];

const PINNED: Readonly<Record<ErrorCode, Row>> = {
  body_json_invalid: ['bad_request', 400, 'Request body must be valid JSON.'],
  body_too_large: ['payload_too_large', 413, 'Request body is larger than the limit of {limit} bytes.'],
  content_type_unsupported: ['unsupported_media_type', 415, 'Unsupported Content-Type: {type}.'],
  request_invalid: ['bad_request', 400, 'The request could not be understood: {reason}'],
  params_invalid: ['invalid_params', 422, '{field} {problem}.'],
  credentials_invalid: ['unauthorized', 401, 'Invalid credentials provided.'],
  route_not_found: ['not_found', 404, 'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your URL correctly?'],
  range_field_invalid: ['requested_range_not_satisfiable', 416, 'Invalid Range header: sorting by "{field}" is not supported; use one of {fields}.'],
  range_max_invalid: ['requested_range_not_satisfiable', 416, 'Invalid Range header: max must be a positive integer, got "{value}".'],
  range_order_invalid: ['requested_range_not_satisfiable', 416, 'Invalid Range header: order must be asc or desc, got "{value}".'],
  range_option_unknown: ['requested_range_not_satisfiable', 416, 'Invalid Range header: unknown option "{option}".'],
  app_not_found: ['not_found', 404, "Couldn't find that app.", 'app'],
  build_not_found: ['not_found', 404, "Couldn't find that build.", 'build'],
  buildpack_not_found: ['not_found', 404, "Couldn't find that buildpack.", 'buildpack'],
  collaborator_not_found: ['not_found', 404, "Couldn't find that collaborator.", 'collaborator'],
  domain_not_found: ['not_found', 404, "Couldn't find that domain.", 'domain'],
  sni_endpoint_not_found: ['not_found', 404, "Couldn't find that SNI endpoint.", 'sni-endpoint'],
  dyno_not_found: ['not_found', 404, "Couldn't find that process.", 'dyno'],
  dyno_size_not_found: ['not_found', 404, "Couldn't find that dyno size.", 'dyno-size'],
  log_drain_not_found: ['not_found', 404, "Couldn't find that log drain.", 'log-drain'],
  webhook_not_found: ['not_found', 404, "Couldn't find that webhook.", 'webhook'],
  feature_not_found: ['not_found', 404, "Couldn't find that feature.", 'feature'],
  webhook_delivery_not_found: ['not_found', 404, "Couldn't find that webhook delivery.", 'webhook-delivery'],
  webhook_event_not_found: ['not_found', 404, "Couldn't find that webhook event.", 'webhook-event'],
  log_session_not_found: ['not_found', 404, "Couldn't find that log session.", 'log-session'],
  process_type_not_found: ['not_found', 404, "Couldn't find that process type ({type}).", 'formation'],
  region_not_found: ['not_found', 404, "Couldn't find that region.", 'region'],
  release_not_found: ['not_found', 404, "Couldn't find that release.", 'release'],
  slug_not_found: ['not_found', 404, "Couldn't find that slug.", 'slug'],
  source_not_found: ['not_found', 404, "Couldn't find that source.", 'source'],
  stack_not_found: ['not_found', 404, "Couldn't find that stack.", 'stack'],
  user_not_found: ['not_found', 404, "Couldn't find that user.", 'user'],
  app_setup_not_found: ['not_found', 404, "Couldn't find that app setup.", 'app-setup'],
  pipeline_not_found: ['not_found', 404, "Couldn't find that pipeline.", 'pipeline'],
  pipeline_coupling_not_found: ['not_found', 404, "Couldn't find that pipeline coupling.", 'pipeline-coupling'],
  pipeline_promotion_not_found: ['not_found', 404, "Couldn't find that pipeline promotion.", 'pipeline-promotion'],
  test_run_not_found: ['not_found', 404, "Couldn't find that test run.", 'test-run'],
  review_app_not_found: ['not_found', 404, "Couldn't find that review app.", 'review-app'],
  review_app_config_not_found: ['not_found', 404, 'Review apps are not enabled for this pipeline.', 'review-app-config'],
  review_app_branch_not_found: ['not_found', 404, 'No app of the {pipeline} pipeline has the branch {branch} in its git repo.', 'branch'],
  app_name_taken: ['invalid_params', 422, 'Name is already taken'],
  app_name_too_short: ['invalid_params', 422, 'Name is too short (minimum is 3 characters)'],
  app_name_too_long: ['invalid_params', 422, 'Name is too long (maximum is 30 characters)'],
  app_name_invalid: ['invalid_params', 422, 'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.'],
  stack_unavailable: ['invalid_params', 422, 'Stack {stack} is not available in Berth; it runs {available}.'],
  addon_plan_not_found: ['invalid_params', 422, 'Couldn\'t find either the add-on service or the add-on plan of "{plan}".'],
  addon_service_not_found: ['not_found', 404, "Couldn't find that add-on service.", 'add_on service'],
  backup_not_found: ['not_found', 404, "Couldn't find that backup.", 'backup'],
  addon_not_found: ['not_found', 404, "Couldn't find that add on.", 'add_on'],
  attachment_not_found: ['not_found', 404, "Couldn't find that add on attachment.", 'add_on attachment'],
  addon_name_invalid: ['invalid_params', 422, 'Name {name} is invalid: it must start with a letter and contain only letters, digits, underscores and dashes.'],
  addon_name_taken: ['invalid_params', 422, 'Name is already taken'],
  attachment_name_invalid: ['invalid_params', 422, 'Attachment name {name} is invalid: it must start with a letter and contain only letters, digits and underscores.'],
  attachment_name_taken: ['invalid_params', 422, 'Name {name} is already used by another attachment or config var of this app.'],
  addon_not_on_app: ['invalid_params', 422, '{addon} is not owned by {app}: destroy it from the app that owns it.'],
  addon_provision_failed: ['service_unavailable', 503, 'The server of {name} did not start; the add-on was not created. See the daemon log.'],
  backup_url_expired: ['forbidden', 403, 'Request has expired: get a new URL with heroku pg:backups:url.'],
  credential_not_found: ['not_found', 404, "Couldn't find that credential.", 'credential'],
  credential_essential_plan: ['invalid_params', 422, "You can't create a custom credential on Essential-tier databases."],
  credential_name_invalid: ['invalid_params', 422, 'Name {name} is invalid: it must start with a lowercase letter and contain only lowercase letters, digits and underscores (at most 40).'],
  credential_name_taken: ['invalid_params', 422, 'Credential {name} already exists on {addon}.'],
  credential_default_destroy: ['invalid_params', 422, 'Default credential cannot be destroyed.'],
  credential_attached: ['invalid_params', 422, 'Credential {name} must be detached from the {apps} before destroying.'],
  build_not_cancellable: ['invalid_params', 422, 'Build {id} has already {status}: only a pending build can be cancelled.'],
  config_var_name_invalid: ['invalid_params', 422, 'Invalid config var name: {name}. Names must start with a letter or underscore and contain only letters, digits and underscores.'],
  config_vars_too_large: ['invalid_params', 422, 'Config vars are too large: {size} bytes of names and values, the limit is {limit} bytes.'],
  release_expired: ['invalid_params', 422, 'Cannot roll back to v{version}: its slug has expired.'],
  release_not_succeeded: ['invalid_params', 422, 'Cannot roll back to v{version}: it did not succeed.'],
  slug_not_uploaded: ['invalid_params', 422, 'Slug {slug} has no blob yet: PUT its .tgz to the blob URL first.'],
  release_target_missing: ['invalid_params', 422, 'Give either slug (a slug id) or release (a release id or version to roll back to).'],
  container_stack_required: ['invalid_params', 422, '{app} is not on the container stack: run heroku stack:set container -a {app} first.'],
  docker_image_not_found: ['invalid_params', 422, 'No image {image} of process type {type} was pushed to this app: push it first (berth container:push {type}).'],
  docker_manifest_unknown: ['not_found', 404, 'No image of process type {type} was pushed to {app}.', 'manifest'],
  docker_release_empty: ['invalid_params', 422, 'This release would run no process type: release an image first.'],
  formation_quantity_invalid: ['invalid_params', 422, 'Invalid quantity: {quantity}. Use a number, or +N / -N.'],
  formation_quantity_negative: ['invalid_params', 422, 'Quantity cannot be less than 0.'],
  formation_quantity_too_high: ['invalid_params', 422, 'Quantity cannot be more than {max} on Berth.'],
  dyno_size_invalid: ['invalid_params', 422, 'No such size as {size}. Use {sizes}.'],
  formation_release_not_scalable: ['invalid_params', 422, 'Cannot scale the release process type: it runs once per new release, as its release phase.'],
  app_not_released: ['invalid_params', 422, 'This app has no release to run yet: deploy it first.'],
  dyno_not_running: ['invalid_params', 422, '{dyno} is not up: run:inside attaches only to a running dyno.'],
  domain_hostname_missing: ['invalid_params', 422, 'Hostname must be provided.'],
  domain_wildcard_unsupported: ['invalid_params', 422, 'Wildcard domains are not supported by Berth.'],
  domain_hostname_invalid: ['invalid_params', 422, '{hostname} is not a valid hostname.'],
  domain_already_added: ['invalid_params', 422, 'Domain already added to this app.'],
  domain_taken: ['invalid_params', 422, '{hostname} is currently in use by another app.'],
  domain_reserved: ['invalid_params', 422, '{hostname} is reserved for the app named {app}.'],
  domain_default_undeletable: ['invalid_params', 422, "{hostname} is the app's default domain and cannot be removed."],
  sni_certificate_invalid: ['invalid_params', 422, 'Certificate chain is invalid: it must hold one or more PEM-encoded certificates.'],
  sni_certificate_no_domains: ['invalid_params', 422, 'Certificate names no domain: it needs a subjectAltName or a common name.'],
  sni_key_invalid: ['invalid_params', 422, 'Private key is invalid: it must be a PEM-encoded private key without a passphrase.'],
  sni_key_mismatch: ['invalid_params', 422, "Private key doesn't match the certificate."],
  sni_endpoint_hostname_uncovered: ['invalid_params', 422, 'The certificate of SNI endpoint {endpoint} does not cover {hostname}: it is for {names}.'],
  domain_default_sni: ['invalid_params', 422, "{hostname} is the app's default domain: its certificate is Berth's own and cannot be changed."],
  collaborator_email_invalid: ['invalid_params', 422, '{email} is not a valid email address.'],
  collaborator_already_added: ['invalid_params', 422, '{email} is already a collaborator on {app}.'],
  collaborator_owner_unremovable: ['invalid_params', 422, 'The owner of an app cannot be removed from it.'],
  webhook_include_missing: ['invalid_params', 422, 'Include must name at least one entity.'],
  webhook_include_invalid: ['invalid_params', 422, 'Include {include} is not a supported entity.'],
  webhook_url_invalid: ['invalid_params', 422, 'Url {url} is not a valid http or https URL.'],
  pipeline_name_invalid: ['invalid_params', 422, 'Name must start with a letter, be 3 to 30 characters long and can only contain lowercase letters, digits, and dashes.'],
  pipeline_name_taken: ['invalid_params', 422, 'Name is already taken'],
  pipeline_stage_invalid: ['invalid_params', 422, 'Stage must be one of test, review, development, staging or production; got "{stage}".'],
  pipeline_app_already_coupled: ['invalid_params', 422, '{app} is already in the {pipeline} pipeline.'],
  pipeline_app_not_coupled: ['invalid_params', 422, '{app} is not in the {pipeline} pipeline.'],
  review_app_branch_invalid: ['invalid_params', 422, '{branch} cannot name a review app: a branch needs letters or digits.'],
  review_app_exists: ['invalid_params', 422, 'The {pipeline} pipeline already has a review app for {branch}.'],
  review_app_base_name_invalid: ['invalid_params', 422, 'base_name {name} must start with a letter, be 2 to 28 characters long and can only contain lowercase letters, digits, and dashes.'],
  review_app_stale_days_invalid: ['invalid_params', 422, 'stale_days must be a whole number of days from 1 to 30.'],
  promotion_targets_missing: ['invalid_params', 422, 'A promotion needs at least one target app.'],
  promotion_to_source: ['invalid_params', 422, 'Cannot promote {app} to itself.'],
  promotion_source_not_released: ['invalid_params', 422, '{app} has no release to promote: deploy it first.'],
  log_drain_url_invalid: ['invalid_params', 422, 'Url is invalid: use https://, http://, syslog://host:port or syslog+tls://host:port.'],
  log_drain_url_taken: ['invalid_params', 422, 'Url has already been taken'],
  log_drain_limit_reached: ['invalid_params', 422, "You can't add more than {max} log drains to an app."],
  git_app_not_found: ['not_found', 404, 'No such app as {app}.'],
  push_token_unknown: ['forbidden', 403, 'No push is running with this token.'],
  push_nothing_to_deploy: ['forbidden', 403, 'This push has nothing to deploy.'],
  source_too_large: ['payload_too_large', 413, '{what} is larger than the limit of {limit} bytes.'],
  engine_unavailable: ['service_unavailable', 503, 'The container engine does not answer; try again once it is running.'],
  internal_error: ['internal_server_error', 500, 'An unexpected error occurred.'],
  chaos_dyno_not_running: ['conflict', 409, '{dyno} is {state}: chaos acts on a running dyno; try again once it is up.'],
  chaos_exit_code_invalid: ['invalid_params', 422, 'Exit status must be a whole number from 0 to 255, got {code}.'],
  chaos_exit_code_unsupported: ['invalid_params', 422, 'A chosen exit status needs an x86-64 engine (this one runs {arch}); crash with --signal instead.'],
  chaos_exit_failed: ['conflict', 409, "{dyno}'s main process could not be made to exit (status {status}): the image needs sh and cat, and the host a kernel.yama.ptrace_scope of 0 (or no Yama)."],
  clock_speed_invalid: ['invalid_params', 422, 'Clock speed must be a number from 1 to {max}, got {speed}.'],
};

function markdownTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = Object.entries(CATALOGUE).map(
    ([code, entry]) => `| \`${code}\` | \`${entry.id}\` | ${entry.status} | ${escape(entry.message)} |`,
  );
  return ['| code | id | status | message |', '|---|---|---|---|', ...rows].join('\n');
}

describe('the error catalogue', () => {
  it('is exactly the pinned table (code → id, status, message, resource)', () => {
    const actual = Object.fromEntries(
      Object.entries(CATALOGUE).map(([code, e]) => [code, 'resource' in e ? [e.id, e.status, e.message, e.resource] : [e.id, e.status, e.message]]),
    );
    expect(actual).toEqual(PINNED);
  });

  it('is listed in README between the errors markers, generated from the catalogue', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = /<!-- errors:start -->\n([\s\S]*?)\n<!-- errors:end -->/.exec(readme)?.[1];
    expect(section, `README.md needs this table between <!-- errors:start --> and <!-- errors:end -->:\n${markdownTable()}`).toBe(markdownTable());
  });

  it('fills templates from typed parameters', () => {
    const error = berthError('process_type_not_found', { type: 'worker' });
    expect([error.code, error.id, error.status, error.message, error.resource]).toEqual([
      'process_type_not_found',
      'not_found',
      404,
      "Couldn't find that process type (worker).",
      'formation',
    ]);
    expect(() => raise('formation_quantity_too_high', { max: 100 })).toThrow('Quantity cannot be more than 100 on Berth.');
  });

  it('maps known internal errors by class and hides everything else behind a 500', () => {
    const engine = new Error('dockerd at /var/run/docker.sock: connect ENOENT');
    engine.name = 'EngineUnavailableError';
    expect(toBerthError(engine)).toMatchObject({ id: 'service_unavailable', status: 503 });
    const leaked = toBerthError(new Error('SQLITE_CONSTRAINT: secret table detail'));
    expect([leaked.id, leaked.status, leaked.message]).toEqual(['internal_server_error', 500, 'An unexpected error occurred.']);
    const own = berthError('app_not_found');
    expect(toBerthError(own)).toBe(own);
    expect(own).toBeInstanceOf(BerthError);
  });
});
