// Heroku's app.json, read and checked in one pass. Every problem is reported (not just the first), each naming the
// field it is about as a dotted path (`env.SECRET_KEY.generator: must be "secret"`), so a setup's `manifest_errors`
// tells the user exactly what to fix. Keys Heroku does not define are kept, untouched, in `extra`: Heroku ignores
// them and people put their own metadata there.
import { PROBLEMS } from './problems.js';
import type { AppJson, AppJsonAddon, AppJsonEnvironment, AppJsonEnvVar, AppJsonFormation, AppJsonScript, EnvironmentName, ParseResult } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;

const KNOWN_TOP = new Set([
  'name', 'description', 'keywords', 'website', 'repository', 'logo', 'success_url', 'scripts', 'env', 'formation', 'image', 'addons',
  'buildpacks', 'environments', 'stack',
]);
const ENVIRONMENTS: readonly EnvironmentName[] = ['test', 'review', 'production'];
/** Heroku's dyno sizes as app.json's schema lists them (compared case-insensitively: `Standard-1X` is common). */
const SIZES = new Set([
  'free', 'eco', 'hobby', 'basic', 'standard-1x', 'standard-2x', 'performance-m', 'performance-l', 'performance-l-ram', 'performance-xl',
  'performance-2xl', 'private-s', 'private-m', 'private-l', 'shield-s', 'shield-m', 'shield-l',
]);
/** A config var name as Heroku takes it. */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `service` or `service:plan` (Heroku's add-on service and plan names). */
const PLAN = /^[a-z0-9][a-z0-9-]*(:[a-z0-9][a-z0-9-]*)?$/;
/** An attachment name: the prefix of its config vars (`as: "MONGO"` → `MONGO_URL`). */
const ATTACHMENT = /^[A-Za-z][A-Za-z0-9_]*$/;
/** A process type as a Procfile names it. */
const PROCESS_TYPE = /^[A-Za-z0-9_-]+$/;

function isObject(value: Json): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly errors: string[] = [];

  fail(path: string, problem: string): undefined {
    this.errors.push(`${path}: ${problem}`);
    return undefined;
  }

  string(value: Json, path: string): string | undefined {
    return typeof value === 'string' ? value : this.fail(path, PROBLEMS.string);
  }

  stringArray(value: Json, path: string): string[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, PROBLEMS.stringArray);
    const out: string[] = [];
    value.forEach((item, i) => {
      const s = this.string(item, `${path}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  env(value: Json, path: string): Record<string, AppJsonEnvVar> | undefined {
    if (!isObject(value)) return this.fail(path, PROBLEMS.object);
    const out: Record<string, AppJsonEnvVar> = {};
    for (const [name, spec] of Object.entries(value)) {
      const at = `${path}.${name}`;
      if (!VAR_NAME.test(name)) {
        this.fail(at, PROBLEMS.varName);
        continue;
      }
      // The shorthand: a plain string is the value.
      if (typeof spec === 'string') {
        out[name] = { value: spec, required: true };
        continue;
      }
      if (!isObject(spec)) {
        this.fail(at, PROBLEMS.envVar);
        continue;
      }
      const variable: { -readonly [K in keyof AppJsonEnvVar]: AppJsonEnvVar[K] } = { required: true };
      if (spec['value'] !== undefined) variable.value = this.string(spec['value'], `${at}.value`);
      if (spec['description'] !== undefined) variable.description = this.string(spec['description'], `${at}.description`);
      if (spec['required'] !== undefined) {
        if (typeof spec['required'] === 'boolean') variable.required = spec['required'];
        else this.fail(`${at}.required`, PROBLEMS.boolean);
      }
      if (spec['generator'] !== undefined) {
        if (spec['generator'] === 'secret') variable.generator = 'secret';
        else this.fail(`${at}.generator`, PROBLEMS.generator);
      }
      out[name] = variable;
    }
    return out;
  }

  formation(value: Json, path: string): Record<string, AppJsonFormation> | undefined {
    // The array form (`[{"process": "web", "quantity": 1}]`) is seen in the wild; it means the same as the map.
    let entries: Array<[string, Json, string]>;
    if (Array.isArray(value)) {
      entries = [];
      value.forEach((item, i) => {
        const at = `${path}[${i}]`;
        if (!isObject(item)) return this.fail(at, PROBLEMS.object);
        const type = this.string(item['process'], `${at}.process`);
        if (type !== undefined) entries.push([type, item, at]);
        return undefined;
      });
    } else if (isObject(value)) {
      entries = Object.entries(value).map(([type, spec]) => [type, spec, `${path}.${type}`]);
    } else {
      return this.fail(path, PROBLEMS.formation);
    }
    const out: Record<string, AppJsonFormation> = {};
    for (const [type, spec, at] of entries) {
      if (!PROCESS_TYPE.test(type)) {
        this.fail(at, PROBLEMS.processType);
        continue;
      }
      if (!isObject(spec)) {
        this.fail(at, PROBLEMS.object);
        continue;
      }
      const entry: { quantity?: number; size?: string } = {};
      const quantity = spec['quantity'];
      if (quantity !== undefined) {
        if (typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 0) entry.quantity = quantity;
        else this.fail(`${at}.quantity`, PROBLEMS.quantity);
      }
      if (spec['size'] !== undefined) {
        const size = this.string(spec['size'], `${at}.size`);
        if (size !== undefined && !SIZES.has(size.toLowerCase())) this.fail(`${at}.size`, PROBLEMS.size(size));
        else if (size !== undefined) entry.size = size.toLowerCase();
      }
      out[type] = entry;
    }
    return out;
  }

  addons(value: Json, path: string): AppJsonAddon[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, PROBLEMS.addons);
    const out: AppJsonAddon[] = [];
    value.forEach((item, i) => {
      const at = `${path}[${i}]`;
      if (typeof item === 'string') {
        if (PLAN.test(item)) out.push({ plan: item });
        else this.fail(at, PROBLEMS.plan(item));
        return;
      }
      if (!isObject(item)) {
        this.fail(at, PROBLEMS.addon);
        return;
      }
      const plan = this.string(item['plan'], `${at}.plan`);
      if (plan !== undefined && !PLAN.test(plan)) this.fail(`${at}.plan`, PROBLEMS.plan(plan));
      const addon: { plan: string; as?: string; options?: Record<string, unknown> } = { plan: plan ?? '' };
      if (item['as'] !== undefined) {
        const as = this.string(item['as'], `${at}.as`);
        if (as !== undefined && !ATTACHMENT.test(as)) this.fail(`${at}.as`, PROBLEMS.attachment);
        else if (as !== undefined) addon.as = as;
      }
      if (item['options'] !== undefined) {
        if (isObject(item['options'])) addon.options = item['options'];
        else this.fail(`${at}.options`, PROBLEMS.object);
      }
      if (plan !== undefined && PLAN.test(plan)) out.push(addon);
    });
    return out;
  }

  buildpacks(value: Json, path: string): Array<{ url: string }> | undefined {
    if (!Array.isArray(value)) return this.fail(path, PROBLEMS.buildpacks);
    const out: Array<{ url: string }> = [];
    value.forEach((item, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(item)) return this.fail(at, PROBLEMS.buildpack);
      const url = this.string(item['url'], `${at}.url`);
      if (url !== undefined && url.trim() === '') return this.fail(`${at}.url`, PROBLEMS.blank);
      if (url !== undefined) out.push({ url });
      return undefined;
    });
    return out;
  }

  scripts(value: Json, path: string): Record<string, AppJsonScript> | undefined {
    if (!isObject(value)) return this.fail(path, PROBLEMS.object);
    const out: Record<string, AppJsonScript> = {};
    for (const [name, spec] of Object.entries(value)) {
      const at = `${path}.${name}`;
      // A script is a command, or `{command, size}` to run it on a bigger dyno.
      if (typeof spec === 'string') {
        out[name] = { command: spec };
      } else if (isObject(spec)) {
        const command = this.string(spec['command'], `${at}.command`);
        const size = spec['size'] === undefined ? undefined : this.string(spec['size'], `${at}.size`);
        if (command !== undefined) out[name] = size === undefined ? { command } : { command, size };
      } else {
        this.fail(at, PROBLEMS.script);
      }
    }
    return out;
  }

  /** The keys an environment (and the top level) may set for itself. */
  environment(doc: Obj, path: string): AppJsonEnvironment {
    const at = (key: string) => (path === '' ? key : `${path}.${key}`);
    const env: { -readonly [K in keyof AppJsonEnvironment]: AppJsonEnvironment[K] } = {};
    if (doc['env'] !== undefined) env.env = this.env(doc['env'], at('env'));
    if (doc['formation'] !== undefined) env.formation = this.formation(doc['formation'], at('formation'));
    if (doc['addons'] !== undefined) env.addons = this.addons(doc['addons'], at('addons'));
    if (doc['buildpacks'] !== undefined) env.buildpacks = this.buildpacks(doc['buildpacks'], at('buildpacks'));
    if (doc['scripts'] !== undefined) env.scripts = this.scripts(doc['scripts'], at('scripts'));
    if (doc['stack'] !== undefined) env.stack = this.string(doc['stack'], at('stack'));
    return env;
  }
}

/** Reads an app.json's text. */
export function parseAppJson(text: string): ParseResult {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (error) {
    return { ok: false, errors: [`app.json: ${PROBLEMS.json((error as Error).message)}`] };
  }
  return checkAppJson(doc);
}

/** Checks an already-parsed app.json document. */
function checkAppJson(doc: Json): ParseResult {
  if (!isObject(doc)) return { ok: false, errors: [`app.json: ${PROBLEMS.root}`] };
  const c = new Checker();
  const extra: Record<string, unknown> = {};
  const manifest: { -readonly [K in keyof AppJson]: AppJson[K] } = { ...c.environment(doc, ''), extra };
  if (doc['name'] !== undefined) {
    const name = c.string(doc['name'], 'name');
    if (name !== undefined && name.length > 30) c.fail('name', PROBLEMS.nameLength);
    else if (name !== undefined) manifest.name = name;
  }
  for (const key of ['description', 'website', 'repository', 'logo', 'success_url', 'image'] as const) {
    if (doc[key] !== undefined) {
      const value = c.string(doc[key], key);
      if (value !== undefined) manifest[key === 'success_url' ? 'successUrl' : key] = value;
    }
  }
  if (doc['keywords'] !== undefined) manifest.keywords = c.stringArray(doc['keywords'], 'keywords');
  if (doc['environments'] !== undefined) {
    if (!isObject(doc['environments'])) {
      c.fail('environments', PROBLEMS.object);
    } else {
      const environments: Partial<Record<EnvironmentName, AppJsonEnvironment>> = {};
      for (const [name, spec] of Object.entries(doc['environments'])) {
        const at = `environments.${name}`;
        if (!(ENVIRONMENTS as readonly string[]).includes(name)) c.fail(at, PROBLEMS.environment);
        else if (!isObject(spec)) c.fail(at, PROBLEMS.object);
        else environments[name as EnvironmentName] = c.environment(spec, at);
      }
      manifest.environments = environments;
    }
  }
  for (const [key, value] of Object.entries(doc)) if (!KNOWN_TOP.has(key)) extra[key] = value;
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, manifest };
}

/**
 * What an app made for `environment` gets: that environment's keys take precedence over the top-level ones, key by
 * key (an environment's `env` replaces the top-level `env` whole, as Heroku CI documents for `environments.test`).
 */
export function forEnvironment(manifest: AppJson, environment: EnvironmentName): AppJsonEnvironment {
  const own = manifest.environments?.[environment] ?? {};
  return {
    env: own.env ?? manifest.env,
    formation: own.formation ?? manifest.formation,
    addons: own.addons ?? manifest.addons,
    buildpacks: own.buildpacks ?? manifest.buildpacks,
    scripts: own.scripts ?? manifest.scripts,
    stack: own.stack ?? manifest.stack,
  };
}
