// App setups (`POST /app-setups`, the "Deploy to Heroku" button's API): from a source tarball and its app.json,
// create the app, provision its add-ons, set its config vars (generated secrets, overrides), build and release it,
// run `scripts.postdeploy` once in a one-off dyno, then apply the formation (reference: heroku-workflows.md §2).
//
// Everything that can be checked before an app exists is: the manifest (each problem in `manifest_errors`), required
// config vars, add-ons this Berth cannot provision. Such a setup fails at once and makes nothing. A failure while
// provisioning add-ons or setting config destroys the app again; once the build has started the app is kept (its
// build output, release and logs say what went wrong), which is what Heroku's button leaves behind too [U].
import { randomBytes, randomUUID } from 'node:crypto';
import { forEnvironment, parseAppJson, type AppJson, type AppJsonAddon, type AppJsonScript } from '../appjson/index.js';
import type { AppsService, CreateAppRequest } from '../apps/index.js';
import { ManifestError, parseHerokuSetup, type BuildsService, type HerokuSetup } from '../builds/index.js';
import { apiTimestamp } from '../clock.js';
import type { AppRecord, ConfigVars } from '../contracts/records.js';
import type { SourceRef } from '../contracts/sources.js';
import type { DynoManager } from '../dynos/index.js';
import { raise } from '../errors.js';
import { CONTAINER_STACK } from '../settings.js';
import type { SetupRecord, Store } from '../store/index.js';
import { SETUP_MESSAGES } from './messages.js';

/** Provisions one add-on of app.json for an app (the add-ons room implements it; see the README). */
export interface AddonProvisioner {
  provisionAddon(app: AppRecord, addon: AppJsonAddon): Promise<void>;
}

/** Where a setup's tarball comes from (the sources room). */
export interface SetupSources {
  reference(url: string): SourceRef;
  /** The tarball's root app.json and heroku.yml, each undefined when it has none. Throws when it cannot be read. */
  readManifests(url: string): Promise<{ readonly appJson: string | undefined; readonly herokuYml: string | undefined }>;
}

export interface SetupsDeps {
  readonly store: Store;
  readonly apps: AppsService;
  readonly builds: BuildsService;
  readonly dynos: DynoManager;
  readonly sources: SetupSources;
  /** Undefined until an add-on service is wired in: an app.json with add-ons then fails, naming them. */
  readonly addons?: AddonProvisioner | undefined;
  readonly report: (error: unknown, what: string) => void;
}

export interface SetupRequest {
  /**
   * `test` sets up a Heroku CI app: app.json's `environments.test` keys win, and neither postdeploy nor the formation
   * runs (the test run runs its own scripts). `review`: `environments.review` keys win (a review app). Default: the
   * top-level keys, as the button does.
   */
  readonly environment?: 'test' | 'review';
  readonly sourceBlob: { readonly url: string; readonly checksum?: string | null | undefined; readonly version?: string | null | undefined };
  readonly app?: CreateAppRequest | null | undefined;
  readonly overrides?: {
    readonly env?: Readonly<Record<string, string>> | null | undefined;
    readonly buildpacks?: ReadonlyArray<{ readonly url: string }> | null | undefined;
  } | null | undefined;
}

/** The most of a postdeploy script's output kept for `postdeploy.output`. */
const POSTDEPLOY_OUTPUT_MAX = 256 * 1024;

/** `generator: "secret"`: 64 lowercase hex digits (Heroku documents only "a pseudo-random string"). */
function secret(): string {
  return randomBytes(32).toString('hex');
}

export class SetupsService {
  readonly #deps: SetupsDeps;
  readonly #running = new Set<Promise<void>>();
  readonly #byId = new Map<string, Promise<void>>();
  /** Resolves each running setup's build id once its build has started (null when it ends without one). */
  readonly #builds = new Map<string, { readonly promise: Promise<string | null>; readonly resolve: (id: string | null) => void }>();

  constructor(deps: SetupsDeps) {
    this.#deps = deps;
  }

  get(id: string): SetupRecord {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? this.#deps.store.setups.get(id.toLowerCase()) : undefined;
    if (!found) raise('app_setup_not_found');
    return found;
  }

  /**
   * Starts a setup. Answers `pending` with the app once it exists, or `failed` (and no app) when the manifest, the
   * config vars or the add-ons stop it before anything is made. An app name or stack the platform refuses is the
   * caller's error (thrown, as `POST /apps` answers it).
   */
  async create(request: SetupRequest): Promise<SetupRecord> {
    const now = apiTimestamp();
    const base: SetupRecord = {
      id: randomUUID(),
      appId: null,
      status: 'pending',
      failureMessage: null,
      manifestErrors: [],
      buildId: null,
      postdeployOutput: null,
      postdeployExitCode: null,
      successUrl: null,
      createdAt: now,
      updatedAt: now,
    };
    const failed = (failureMessage: string, manifestErrors: readonly string[] = []) =>
      this.#deps.store.setups.insert({ ...base, status: 'failed', failureMessage, manifestErrors });

    let text: string | undefined;
    let herokuYml: string | undefined;
    try {
      ({ appJson: text, herokuYml } = await this.#deps.sources.readManifests(request.sourceBlob.url));
    } catch (error) {
      return failed(SETUP_MESSAGES.sourceUnreadable(error instanceof Error ? error.message : String(error)));
    }
    // A tarball without app.json is set up as a plain app: there is nothing to check or provision [U].
    const parsed = text === undefined ? { ok: true as const, manifest: { extra: {} } as AppJson } : parseAppJson(text);
    if (!parsed.ok) return failed(SETUP_MESSAGES.invalidManifest, parsed.errors);
    const fromAppJson = request.environment ? { ...parsed.manifest, ...forEnvironment(parsed.manifest, request.environment) } : parsed.manifest;
    const stack = request.app?.stack ?? fromAppJson.stack;
    const env = this.#config(fromAppJson, request.overrides?.env ?? {});
    if (!env.ok) return failed(SETUP_MESSAGES.invalidManifest, env.errors);
    // An app of the container stack also gets heroku.yml's `setup`, under app.json's: its add-ons that app.json does
    // not name, its config vars that app.json's env does not set (as `heroku create --manifest` would make them).
    let setupOfYml: HerokuSetup = { addons: [], config: {} };
    if (stack === CONTAINER_STACK && herokuYml !== undefined) {
      try {
        setupOfYml = parseHerokuSetup(herokuYml);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        return failed(SETUP_MESSAGES.invalidManifest, error.issues.map((issue) => `heroku.yml: ${issue}`));
      }
    }
    const named = new Set((fromAppJson.addons ?? []).map((a) => a.as ?? a.plan));
    const manifest: AppJson = {
      ...fromAppJson,
      addons: [...(fromAppJson.addons ?? []), ...setupOfYml.addons.filter((a) => !named.has(a.as ?? a.plan))],
    };
    const config = { ...setupOfYml.config, ...env.config };
    const addons = manifest.addons ?? [];
    if (addons.length > 0 && !this.#deps.addons) {
      return failed(
        SETUP_MESSAGES.addonsUnavailable(addons.map((a) => a.plan)),
        addons.map((a, i) => `addons[${i}]: ${SETUP_MESSAGES.addonsUnavailable([a.plan])}`),
      );
    }
    const app = this.#deps.apps.create({
      name: request.app?.name,
      region: request.app?.region,
      stack,
    });
    const setup = this.#deps.store.setups.insert({ ...base, appId: app.id, successUrl: manifest.successUrl ?? null });
    // The run or review app that made this setup reads its scripts later, maybe after a restart: they are stored.
    if (request.environment) this.#deps.store.setups.saveScripts(setup.id, manifest.scripts ?? {});
    let resolveBuild!: (id: string | null) => void;
    this.#builds.set(setup.id, { promise: new Promise((resolve) => (resolveBuild = resolve)), resolve: resolveBuild });
    const run = this.#run(setup, app, manifest, config, request)
      .catch((error: unknown) => {
        this.#deps.report(error, 'app setup failed');
        // The store may be closing (daemon shutdown): recovery fails the setup on the next start instead.
        try {
          this.#finish(setup.id, { status: 'failed', failureMessage: error instanceof Error ? error.message : String(error) });
        } catch (unrecorded) {
          this.#deps.report(unrecorded, 'app setup could not be marked failed');
        }
      })
      .finally(() => {
        this.#running.delete(run);
        this.#byId.delete(setup.id);
        this.#builds.get(setup.id)?.resolve(null);
        this.#builds.delete(setup.id);
      });
    this.#running.add(run);
    this.#byId.set(setup.id, run);
    return setup;
  }

  /** Resolves with the setup once it has finished (a CI test run waits for its app this way). */
  async finished(id: string): Promise<SetupRecord> {
    await this.#byId.get(id);
    return this.get(id);
  }

  /**
   * Resolves with the id of the setup's build once it has started (a push that made a review app streams its output),
   * or null when the setup ended without one.
   */
  async buildStarted(id: string): Promise<string | null> {
    const pending = this.#builds.get(id);
    return pending ? pending.promise : this.get(id).buildId;
  }

  /** The scripts of a CI or review setup (its environment's over the top-level ones): `test`, `pr-predestroy`, ... */
  scripts(id: string): Readonly<Record<string, AppJsonScript>> {
    return this.#deps.store.setups.scripts(id) ?? {};
  }

  /** Resolves when every setup started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** On start: setups a killed daemon left pending fail (their build is failed by the builds room's recovery). */
  recover(): void {
    for (const setup of this.#deps.store.setups.listPending()) this.#finish(setup.id, { status: 'failed', failureMessage: SETUP_MESSAGES.interrupted });
  }

  /** The config vars app.json's env gives, with the overrides; a required var with no value is a manifest error. */
  #config(manifest: AppJson, overrides: Readonly<Record<string, string>>): { ok: true; config: ConfigVars } | { ok: false; errors: string[] } {
    const config: Record<string, string> = {};
    const errors: string[] = [];
    for (const [name, spec] of Object.entries(manifest.env ?? {})) {
      const value = overrides[name] ?? spec.value ?? (spec.generator === 'secret' ? secret() : undefined);
      if (value !== undefined) config[name] = value;
      else if (spec.required) errors.push(SETUP_MESSAGES.required(name));
    }
    for (const [name, value] of Object.entries(overrides)) config[name] = value;
    return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
  }

  async #run(setup: SetupRecord, app: AppRecord, manifest: AppJson, config: ConfigVars, request: SetupRequest): Promise<void> {
    const { apps, builds, dynos, sources } = this.#deps;
    // Before the build: a failure here destroys the app, so nothing is left half-made.
    try {
      for (const addon of manifest.addons ?? []) {
        try {
          await this.#deps.addons?.provisionAddon(app, addon);
        } catch (error) {
          throw new Error(SETUP_MESSAGES.addonFailed(addon.plan, error instanceof Error ? error.message : String(error)));
        }
      }
      if (Object.keys(config).length > 0) apps.updateConfigVars(app.id, config);
    } catch (error) {
      this.#finish(setup.id, { status: 'failed', failureMessage: error instanceof Error ? error.message : String(error) });
      apps.destroy(app.id);
      return;
    }

    const buildpacks = request.overrides?.buildpacks ?? manifest.buildpacks;
    const started = builds.create(apps.get(app.id), {
      source: sources.reference(request.sourceBlob.url),
      sourceVersion: request.sourceBlob.version ?? null,
      sourceChecksum: request.sourceBlob.checksum ?? null,
      buildpacks: buildpacks && buildpacks.length > 0 ? buildpacks.map((b) => b.url) : null,
    });
    this.#deps.store.setups.update(setup.id, { buildId: started.id }, apiTimestamp());
    this.#builds.get(setup.id)?.resolve(started.id);
    const build = await builds.finished(app, started.id);
    if (build.status !== 'succeeded') return this.#finish(setup.id, { status: 'failed', failureMessage: SETUP_MESSAGES.buildFailed });
    const release = build.releaseId === null ? undefined : this.#deps.store.releases.getById(app.id, build.releaseId);
    if (release?.status === 'failed') return this.#finish(setup.id, { status: 'failed', failureMessage: SETUP_MESSAGES.releaseFailed(release.version) });

    if (request.environment === 'test') return this.#finish(setup.id, { status: 'succeeded' });
    const postdeploy = manifest.scripts?.['postdeploy'];
    if (postdeploy) {
      let output = '';
      const exitCode = await dynos.runScript(apps.get(app.id), postdeploy.command, (text) => {
        if (output.length < POSTDEPLOY_OUTPUT_MAX) output += text;
      }, postdeploy.size);
      this.#deps.store.setups.update(setup.id, { postdeployOutput: output.slice(0, POSTDEPLOY_OUTPUT_MAX), postdeployExitCode: exitCode }, apiTimestamp());
      if (exitCode !== 0) return this.#finish(setup.id, { status: 'failed', failureMessage: SETUP_MESSAGES.postdeployFailed(exitCode) });
    }

    const formation = Object.entries(manifest.formation ?? {});
    if (formation.length > 0) {
      try {
        await dynos.scale(apps.get(app.id), formation.map(([type, f]) => ({ type, ...(f.quantity === undefined ? {} : { quantity: f.quantity }), ...(f.size === undefined ? {} : { size: f.size }) })));
      } catch (error) {
        return this.#finish(setup.id, { status: 'failed', failureMessage: SETUP_MESSAGES.formationFailed(error instanceof Error ? error.message : String(error)) });
      }
    }
    this.#finish(setup.id, { status: 'succeeded' });
  }

  #finish(id: string, changes: { status: 'succeeded' | 'failed'; failureMessage?: string }): void {
    this.#deps.store.setups.update(id, changes, apiTimestamp());
  }
}
