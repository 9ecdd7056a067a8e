// The features Heroku lists for an app (`heroku features` shows the `general` ones, `heroku labs` the rest) and for
// the account. Descriptions marked [U] in shared/reference are Berth's words where Heroku's were not found.
export type FeatureState = 'general' | 'beta' | 'alpha';

export interface FeatureDefinition {
  readonly name: string;
  readonly displayName: string;
  readonly description: string;
  readonly docUrl: string;
  readonly state: FeatureState;
}

const DEV_CENTER = 'https://devcenter.heroku.com/articles/';

export const APP_FEATURES: readonly FeatureDefinition[] = [
  { name: 'http-session-affinity', displayName: 'Session Affinity', description: 'Enable session affinity for all requests', docUrl: `${DEV_CENTER}session-affinity`, state: 'general' },
  { name: 'preboot', displayName: 'Preboot', description: 'Provide seamless web dyno deploys', docUrl: `${DEV_CENTER}preboot`, state: 'general' },
  { name: 'spaces-dns-discovery', displayName: 'DNS Service Discovery', description: 'Enable DNS service discovery', docUrl: `${DEV_CENTER}dyno-dns-service-discovery`, state: 'general' },
  { name: 'log-runtime-metrics', displayName: 'Log runtime metrics', description: 'Emit dyno resource usage information into app logs', docUrl: `${DEV_CENTER}log-runtime-metrics`, state: 'beta' },
  // [U] descriptions from here on.
  { name: 'runtime-dyno-metadata', displayName: 'Dyno metadata', description: 'Provide dyno metadata in environment variables', docUrl: `${DEV_CENTER}dyno-metadata`, state: 'beta' },
  { name: 'runtime-dyno-build-metadata', displayName: 'Dyno build metadata', description: 'Provide build metadata in environment variables', docUrl: `${DEV_CENTER}dyno-metadata`, state: 'beta' },
  { name: 'nodejs-language-metrics', displayName: 'Node.js language metrics', description: 'Emit Node.js language metrics', docUrl: `${DEV_CENTER}language-runtime-metrics-nodejs`, state: 'beta' },
];

export const ACCOUNT_FEATURES: readonly FeatureDefinition[] = [
  { name: 'dashboard-repositories-api', displayName: 'Repositories API', description: 'Use the repositories API for GitHub connections', docUrl: `${DEV_CENTER}github-integration`, state: 'beta' },
];

/** The features that change what Berth does: dynos/ reads them (the others are listed only). */
export const RUNTIME_DYNO_METADATA = 'runtime-dyno-metadata';
export const PREBOOT = 'preboot';
export const LOG_RUNTIME_METRICS = 'log-runtime-metrics';
/** The router reads it from the routing snapshot: switching it republishes that snapshot. */
export const HTTP_SESSION_AFFINITY = 'http-session-affinity';
