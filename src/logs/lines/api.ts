// Heroku's `app[api]` lines: what the Platform API writes to an app's log when it builds, releases, scales or runs
// something (heroku-runtime-behaviour.md, "app[api] event templates", observed 2016–2025). The release descriptions
// are here too: a release logs `<description> by user <email>`, and `heroku releases` shows the same words.
// Every writer of an `app[api]` line takes its text from here.

/** `<event> by user <email>`: how every user-initiated API event ends. */
function byUser(event: string, email: string): string {
  return `${event} by user ${email}`;
}

/** One process type's scale as `Scaled to` lists it: `web@2:Basic`. */
interface ScaledFormation {
  readonly type: string;
  readonly quantity: number;
  readonly size: string;
}

/** Release descriptions (the `Change` column of `heroku releases`). */
export const RELEASE_DESCRIPTIONS = {
  /** v1 of every app. */
  initial: 'Initial release',
  /** v2 of every app. */
  logplex: 'Enable Logplex',
  /** `Deploy 1a2b3c4d`: 8 hex digits of a commit in recent logs, or a version as given (`Deploy 0.0.1-SNAPSHOT`). */
  deploy: (ref: string) => `Deploy ${ref}`,
  rollback: (version: number) => `Rollback to v${version}`,
  /**
   * Images released through the formation (`heroku container:release`): `Deployed web (142013fe2b5c)`, 12 hex digits
   * of each image's id (heroku-containers.md §2). Several types joined by `, ` and `Removed worker` (container:rm) are
   * Berth's wording [U].
   */
  dockerDeploy: (deployed: ReadonlyArray<readonly [type: string, imageId: string]>, removed: readonly string[]) =>
    [
      ...(deployed.length > 0 ? [`Deployed ${deployed.map(([type, id]) => `${type} (${id.replace(/^sha256:/, '').slice(0, 12)})`).join(', ')}`] : []),
      ...(removed.length > 0 ? [`Removed ${removed.join(', ')}`] : []),
    ].join('; '),
  /** An add-on attached to the app: `Attach DATABASE (@ref:postgresql-flat-02648)` (the `@ref:` is literal). */
  addonAttach: (attachment: string, addon: string) => `Attach ${attachment} (@ref:${addon})`,
  /** An attachment removed (detach, or the add-on destroyed): `Detach DATABASE (@ref:postgresql-flat-02648)`. */
  addonDetach: (attachment: string, addon: string) => `Detach ${attachment} (@ref:${addon})`,
  /**
   * The provider changed an attached add-on: `Update DATABASE by heroku-postgresql` (reference heroku-addons-and-data
   * §2; Heroku's user for it is `heroku-postgresql@addons.heroku.com`, Berth's the account's). Berth makes it for a plan
   * change, which the reference marks [U].
   */
  addonUpdate: (attachment: string, service: string) => `Update ${attachment} by ${service}`,
  /**
   * A pipeline promotion: `Promote staging-app v12 1a2b3c4`, the source app, its release and 7 hex digits of the slug's
   * commit when it has one. Heroku's wording is unconfirmed (reference: heroku-runtime-behaviour.md §4.1).
   */
  promote: (sourceApp: string, version: number, commit: string | null) =>
    commit === null ? `Promote ${sourceApp} v${version}` : `Promote ${sourceApp} v${version} ${commit.slice(0, 7)}`,
  /**
   * `Set FOO, BAR config vars`; `Remove FOO config vars` (unconfirmed in the reference); a change that does both is
   * Berth's `Set A and remove B config vars` (Heroku's wording for the mix is not documented).
   */
  configVars: (set: readonly string[], removed: readonly string[]) => {
    if (set.length > 0 && removed.length > 0) return `Set ${set.join(', ')} and remove ${removed.join(', ')} config vars`;
    if (set.length > 0) return `Set ${set.join(', ')} config vars`;
    return `Remove ${removed.join(', ')} config vars`;
  },
} as const;

export const API_LINES = {
  /** A new release: `Deploy 1a2b3c4d by user x`, `Set FOO config vars by user x`, `Rollback to v7 by user x`. */
  release: (description: string, email: string) => byUser(description, email),
  releaseCreated: (version: number, email: string) => byUser(`Release v${version} created`, email),
  releasePhaseRunning: (version: number, email: string) => byUser(`Running release v${version} commands`, email),
  releasePhaseFailed: (version: number, email: string) => byUser(`Release v${version} command failed`, email),
  buildStarted: (email: string) => byUser('Build started', email),
  /** No `by user` on the build's outcome. */
  buildSucceeded: () => 'Build succeeded',
  /** Heroku links its dashboard; Berth links the build's output stream. */
  buildFailed: (outputUrl: string) => `Build failed -- check your build output: ${outputUrl}`,
  /** Every process type, web first: `Scaled to web@1:Basic worker@0:Basic by user x`. */
  scaled: (formation: readonly ScaledFormation[], email: string) =>
    byUser(`Scaled to ${formation.map((f) => `${f.type}@${f.quantity}:${f.size}`).join(' ')}`, email),
  /** A one-off dyno: ``Starting process with command `rails db:migrate` by user x``. */
  oneOffStarted: (command: string, email: string) => byUser(`Starting process with command \`${command}\``, email),
} as const;
