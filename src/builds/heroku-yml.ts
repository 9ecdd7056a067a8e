// heroku.yml, the build manifest of the container stack (heroku-containers.md §1): `build.docker` (process type →
// Dockerfile path, or `{dockerfile, target}`), `build.config` (build args), `release` (`image`, `command`), `run`
// (process type → command, or `{command, image}`), and `setup`, which only app creation reads. Pure: text in, a
// manifest or every issue found out, each worded as Heroku lists them under "Your heroku.yml manifest is invalid".
import { posix } from 'node:path';
import { parse } from 'yaml';

export interface DockerBuild {
  /** Relative to the repository's root; its directory is the build context. */
  readonly dockerfile: string;
  readonly target?: string;
  /**
   * The build context, relative to the source's root; absent: the Dockerfile's directory (always so from heroku.yml).
   * `berth container:push` sends its context as the whole source, so it names `.`.
   */
  readonly context?: string;
}

export interface RunEntry {
  /** Undefined: the image's CMD. */
  readonly command?: string;
  /** The `build.docker` key whose image runs it. */
  readonly image: string;
}

export interface HerokuManifest {
  /** In the order heroku.yml lists them. */
  readonly docker: ReadonlyMap<string, DockerBuild>;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly release: RunEntry | undefined;
  readonly run: ReadonlyMap<string, RunEntry>;
}

/** heroku.yml's `setup`: what app creation provisions (`heroku create --manifest` on the CLI's side, app setups here). */
export interface HerokuSetup {
  readonly addons: ReadonlyArray<{ readonly plan: string; readonly as?: string }>;
  readonly config: Readonly<Record<string, string>>;
}

export class ManifestError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('; '));
    this.name = 'ManifestError';
    this.issues = issues;
  }
}

/** Heroku's formation type names (Platform API schema `formation.type`). */
const PROCESS_TYPE = /^[-\w]{1,128}$/;
const SECTIONS = ['setup', 'build', 'release', 'run'];

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A command as heroku.yml may write it: a string, or a list of strings (run one after another by the shell). */
function commandOf(value: unknown, where: string, issues: string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string')) return (value as string[]).join(' && ');
  issues.push(`${where} must be a command or a list of commands`);
  return undefined;
}

function forbidden(map: YamlMap, allowed: readonly string[], where: string, issues: string[]): void {
  for (const key of Object.keys(map)) if (!allowed.includes(key)) issues.push(`${where}${key} in body is a forbidden property`);
}

function dockerfilePath(value: unknown, where: string, issues: string[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push(`${where} must be the path of a Dockerfile`);
    return undefined;
  }
  const path = posix.normalize(value.trim());
  if (path.startsWith('/') || path === '..' || path.startsWith('../')) {
    issues.push(`${where} must be a path inside the repository: ${value}`);
    return undefined;
  }
  return path;
}

function parseDocker(value: unknown, issues: string[]): Map<string, DockerBuild> {
  const docker = new Map<string, DockerBuild>();
  if (!isMap(value) || Object.keys(value).length === 0) {
    issues.push('build.docker must name a Dockerfile for at least one process type (e.g. web: Dockerfile)');
    return docker;
  }
  for (const [type, entry] of Object.entries(value)) {
    const where = `build.docker.${type}`;
    if (!PROCESS_TYPE.test(type)) {
      issues.push(`${where}: process types are letters, digits, - and _ (at most 128)`);
      continue;
    }
    if (isMap(entry)) {
      forbidden(entry, ['dockerfile', 'target'], `${where}.`, issues);
      const dockerfile = dockerfilePath(entry['dockerfile'], `${where}.dockerfile`, issues);
      const target = entry['target'];
      if (target !== undefined && (typeof target !== 'string' || target === '')) issues.push(`${where}.target must be the name of a build stage`);
      if (dockerfile !== undefined) docker.set(type, typeof target === 'string' && target !== '' ? { dockerfile, target } : { dockerfile });
      continue;
    }
    const dockerfile = dockerfilePath(entry, where, issues);
    if (dockerfile !== undefined) docker.set(type, { dockerfile });
  }
  return docker;
}

function parseRunEntry(value: unknown, type: string, where: string, docker: ReadonlyMap<string, DockerBuild>, issues: string[]): RunEntry | undefined {
  let command: string | undefined;
  let image: string | undefined;
  if (isMap(value)) {
    forbidden(value, ['command', 'image'], `${where}.`, issues);
    command = commandOf(value['command'], `${where}.command`, issues);
    if (value['image'] !== undefined) {
      if (typeof value['image'] !== 'string') issues.push(`${where}.image must name a process type of build.docker`);
      else image = value['image'];
    }
  } else {
    command = commandOf(value, where, issues);
  }
  image ??= type;
  if (!docker.has(image)) {
    issues.push(
      image === type
        ? `${where} has no image: build.docker has no ${type}; add build.docker.${type} or name one with ${where}.image`
        : `${where}.image ${image} is not a process type of build.docker`,
    );
    return undefined;
  }
  return command === undefined ? { image } : { command, image };
}

/** Only the `setup` section (empty when there is none); the rest of the file is the build's to read. */
export function parseHerokuSetup(text: string): HerokuSetup {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ManifestError([`heroku.yml is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const setup = isMap(document) ? document['setup'] : undefined;
  if (setup === undefined || setup === null) return { addons: [], config: {} };
  if (!isMap(setup)) throw new ManifestError(['setup must be a map of addons and config']);
  const issues: string[] = [];
  forbidden(setup, ['addons', 'config'], 'setup.', issues);
  const addons: Array<{ plan: string; as?: string }> = [];
  const listed = setup['addons'] ?? [];
  if (!Array.isArray(listed)) issues.push('setup.addons must be a list of {plan, as}');
  else
    listed.forEach((entry: unknown, i) => {
      const where = `setup.addons[${i}]`;
      if (!isMap(entry) || typeof entry['plan'] !== 'string' || entry['plan'] === '') return void issues.push(`${where}.plan must name an add-on plan`);
      forbidden(entry, ['plan', 'as'], `${where}.`, issues);
      if (entry['as'] !== undefined && typeof entry['as'] !== 'string') return void issues.push(`${where}.as must be an attachment name`);
      addons.push(typeof entry['as'] === 'string' ? { plan: entry['plan'], as: entry['as'] } : { plan: entry['plan'] });
    });
  const config: Record<string, string> = {};
  const vars = setup['config'] ?? {};
  if (!isMap(vars)) issues.push('setup.config must be a map of config vars');
  else
    for (const [name, value] of Object.entries(vars)) {
      // The CLI sends YAML's `true` and `25` as JSON; config vars are strings either way.
      if (isScalar(value)) config[name] = String(value);
      else issues.push(`setup.config.${name} must be a string`);
    }
  if (issues.length > 0) throw new ManifestError(issues);
  return { addons, config };
}

export function parseHerokuYml(text: string): HerokuManifest {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ManifestError([`heroku.yml is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (!isMap(document)) throw new ManifestError(['"" must be a map of the sections setup, build, release and run']);
  const issues: string[] = [];
  forbidden(document, SECTIONS, '', issues);
  const build = document['build'];
  if (!isMap(build)) throw new ManifestError([...issues, 'build is required: build.docker names a Dockerfile per process type']);
  forbidden(build, ['docker', 'config'], 'build.', issues);
  const docker = parseDocker(build['docker'], issues);

  const buildArgs: Record<string, string> = {};
  const config = build['config'];
  if (config !== undefined && config !== null) {
    if (!isMap(config)) issues.push('build.config must be a map of build args');
    else
      for (const [key, value] of Object.entries(config)) {
        if (isScalar(value)) buildArgs[key] = String(value);
        else issues.push(`build.config.${key} must be a string`);
      }
  }

  let release: RunEntry | undefined;
  const releaseSection = document['release'];
  if (releaseSection !== undefined && releaseSection !== null) {
    if (!isMap(releaseSection)) issues.push('release must be a map of image and command');
    else {
      // Without `image`, the release command runs in the web image (Berth's choice; Heroku's default is unconfirmed).
      const entry = { image: 'web', ...releaseSection };
      release = parseRunEntry(entry, 'release', 'release', docker, issues);
    }
  }

  const run = new Map<string, RunEntry>();
  const runSection = document['run'];
  if (runSection !== undefined && runSection !== null) {
    if (!isMap(runSection)) issues.push('run must be a map of process types to commands');
    else
      for (const [type, value] of Object.entries(runSection)) {
        if (!PROCESS_TYPE.test(type)) {
          issues.push(`run.${type}: process types are letters, digits, - and _ (at most 128)`);
          continue;
        }
        const entry = parseRunEntry(value, type, `run.${type}`, docker, issues);
        if (entry) run.set(type, entry);
      }
  }
  if (issues.length > 0) throw new ManifestError(issues);
  return { docker, buildArgs, release, run };
}
