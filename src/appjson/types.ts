// app.json as Berth reads it (shared/reference/heroku-workflows.md §1.1), after checking: shorthands expanded
// (`"KEY": "value"`, `"addons": ["heroku-postgresql"]`, the formation array form).

export interface AppJsonEnvVar {
  readonly value?: string | undefined;
  readonly description?: string | undefined;
  /** Heroku's default is true: a var without a value must then be given when the app is set up. */
  readonly required: boolean;
  readonly generator?: 'secret';
}

export interface AppJsonFormation {
  readonly quantity?: number;
  /** Lower case (`standard-1x`). */
  readonly size?: string;
}

export interface AppJsonAddon {
  /** `service` or `service:plan`. */
  readonly plan: string;
  /** The attachment name, which prefixes its config vars. */
  readonly as?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface AppJsonScript {
  readonly command: string;
  readonly size?: string;
}

export type EnvironmentName = 'test' | 'review' | 'production';

/** What the top level and each of `environments` may set. */
export interface AppJsonEnvironment {
  readonly env?: Readonly<Record<string, AppJsonEnvVar>> | undefined;
  readonly formation?: Readonly<Record<string, AppJsonFormation>> | undefined;
  readonly addons?: readonly AppJsonAddon[] | undefined;
  readonly buildpacks?: ReadonlyArray<{ readonly url: string }> | undefined;
  /** `postdeploy`, `pr-predestroy`, and for CI `test-setup` and `test`. */
  readonly scripts?: Readonly<Record<string, AppJsonScript>> | undefined;
  readonly stack?: string | undefined;
}

export interface AppJson extends AppJsonEnvironment {
  readonly name?: string;
  readonly description?: string;
  readonly keywords?: readonly string[] | undefined;
  readonly website?: string;
  readonly repository?: string;
  readonly logo?: string;
  readonly successUrl?: string;
  readonly image?: string;
  readonly environments?: Readonly<Partial<Record<EnvironmentName, AppJsonEnvironment>>>;
  /** Keys Heroku does not define, kept as they were. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Either the manifest, or every problem found, each `<field path>: <problem>`. */
export type ParseResult = { readonly ok: true; readonly manifest: AppJson } | { readonly ok: false; readonly errors: readonly string[] };
