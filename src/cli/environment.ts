// The `export` lines that point the heroku CLI at this Berth (reference: heroku-cli-and-api.md §0).
// Nothing here changes the user's HOME.
import { ensureApiKey } from '../credentials.js';
import { apiTlsUrl, buildpackRegistryUrl, gitHost, type Settings } from '../settings.js';
import { ensureCa, ensureCaBundle } from '../tls/index.js';

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function cliEnvironment(settings: Settings): Promise<Array<[string, string]>> {
  const key = await ensureApiKey(settings.dataDir);
  const ca = await ensureCa(settings.dataDir);
  const bundle = await ensureCaBundle(settings.dataDir, ca);
  return [
    // HTTPS: dynos share the host's network, and the API key must not cross loopback in cleartext.
    ['HEROKU_HOST', apiTlsUrl(settings)],
    ['HEROKU_API_KEY', key],
    // Without it the CLI also asks particleboard.heroku.com for the account, with retries.
    ['HEROKU_PARTICLEBOARD_URL', apiTlsUrl(settings)],
    ['HEROKU_GIT_HOST', gitHost(settings)],
    // The data API (`pg:*`, `redis:*`) is served by the same API: the CLI takes this host name and the scheme and port
    // of HEROKU_HOST (reference heroku-addons-and-data §0; a `host:port` value would not resolve).
    ['HEROKU_DATA_HOST', settings.bindHost],
    // `heroku buildpacks:add heroku/nodejs` looks the name up here instead of buildpack-registry.heroku.com (public
    // reads: no key is sent).
    ['HEROKU_BUILDPACK_REGISTRY_URL', buildpackRegistryUrl(settings)],
    // The local CA (plus any CAs already trusted this way): the CLI verifies the API's and the rendezvous certificates.
    ['NODE_EXTRA_CA_CERTS', bundle],
    ['DISABLE_TELEMETRY', 'true'],
    ['HEROKU_SKIP_ANALYTICS', '1'],
    ['HEROKU_DISABLE_AUTOUPDATE', '1'],
    ['HEROKU_SKIP_NEW_VERSION_CHECK', 'true'],
  ];
}

export function exportLines(vars: ReadonlyArray<[string, string]>): string {
  return vars.map(([name, value]) => `export ${name}=${shellQuote(value)}`).join('\n');
}

/** The shell line that makes `berth` run this CLI from any directory (the built main.js is executable). */
export function aliasLine(mainJs: string): string {
  return `alias berth=${shellQuote(mainJs)}`;
}
