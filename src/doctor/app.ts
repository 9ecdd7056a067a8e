// What the checks need to know about an app, read once from its tree: package.json, the Procfile, each process
// type's command as a dyno would run it, and the source files a command starts.
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { containerProcessTypes, isContainerApp } from './container.js';
import type { SourceTree } from './tree.js';

export interface PackageJson {
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly scripts: Readonly<Record<string, string>>;
  readonly engines: Readonly<Record<string, string>>;
}

/** What the build knew, when the checks run on a push. */
export interface BuildFacts {
  /** The compiled slug's size in bytes. */
  readonly slugBytes?: number;
  /** The process types the build found (Procfile merged over the buildpacks' defaults). */
  readonly processTypes?: Readonly<Record<string, string>>;
  /** The build made images (the container stack), not a slug. */
  readonly container?: boolean;
}

export interface AppSource {
  readonly tree: SourceTree;
  readonly packageJson: PackageJson | undefined;
  /** The Procfile's types, or undefined when there is none. */
  readonly procfile: Readonly<Record<string, string>> | undefined;
  /** The process types a dyno would run: the build's, else the Procfile over the Node.js default (container apps: container.ts). */
  readonly processTypes: Readonly<Record<string, string>>;
  /** Built as images (heroku.yml or per-type Dockerfiles): the buildpack-only checks are skipped. */
  readonly container: boolean;
  readonly facts: BuildFacts;
}

function record(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function parsePackageJson(text: string | undefined): PackageJson | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const object = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  return {
    dependencies: record(object['dependencies']),
    devDependencies: record(object['devDependencies']),
    scripts: record(object['scripts']),
    engines: record(object['engines']),
  };
}

/** Lenient: a line that is not `type: command` is skipped (the build reports a broken Procfile itself). */
function parseProcfile(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const types: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$/.exec(line);
    if (match?.[1] && match[2] && !line.trim().startsWith('#')) types[match[1]] = match[2];
  }
  return types;
}

export function readApp(tree: SourceTree, facts: BuildFacts = {}): AppSource {
  const packageJson = parsePackageJson(tree.text('package.json'));
  const procfile = parseProcfile(tree.text('Procfile'));
  // On a push the build knows how it built the app: a buildpack app with a Dockerfile for development stays one. The
  // guess from the tree is for `berth doctor [dir]`, which has no build.
  const built = facts.container !== undefined || facts.processTypes !== undefined || facts.slugBytes !== undefined;
  const container = built ? facts.container === true : isContainerApp(tree);
  let processTypes: Record<string, string> = { ...(facts.processTypes ?? {}) };
  if (container) {
    processTypes = { ...containerProcessTypes(tree), ...processTypes };
  } else if (facts.processTypes === undefined) {
    // The bundled Node.js buildpack's default (bin/release): `web: npm start` for a start script or a server.js.
    const nodeDefault = packageJson !== undefined && (packageJson.scripts['start'] !== undefined || tree.paths.includes('server.js'));
    processTypes = { ...(nodeDefault ? { web: 'npm start' } : {}), ...(procfile ?? {}) };
  }
  return { tree, packageJson, procfile, processTypes, facts, container };
}

/** A command as npm would run it: `npm start` and `npm run x` become the script's own command. */
export function expandCommand(app: AppSource, command: string): string {
  const scripts = app.packageJson?.scripts ?? {};
  const match = /^(?:npm|yarn|pnpm)\s+(?:run(?:-script)?\s+)?([\w:-]+)\s*$/.exec(command.trim());
  const name = match?.[1];
  if (name === undefined) return command;
  const script = scripts[name] ?? (name === 'start' && app.tree.paths.includes('server.js') ? 'node server.js' : undefined);
  return script ?? command;
}

const SOURCE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.py', '.rb'];

/** Source files a command names (`node server.js`, `python app.py`), as paths in the tree. */
export function entryFiles(app: AppSource, command: string): string[] {
  const files: string[] = [];
  for (const word of expandCommand(app, command).split(/[\s;&|]+/)) {
    const path = posix.normalize(word.replace(/^['"]|['"]$/g, '')).replace(/^(\.\/)+/, '');
    const candidates = [path, ...SOURCE_EXTENSIONS.map((ext) => `${path}${ext}`)];
    const found = candidates.find((candidate) => SOURCE_EXTENSIONS.includes(posix.extname(candidate)) && app.tree.text(candidate) !== undefined);
    if (found !== undefined && !files.includes(found)) files.push(found);
  }
  return files;
}

const IMPORT = /(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|^\s*import\s+)['"]([^'"]+)['"]/gm;
const BUILTINS = new Set(builtinModules);

/** Bare package names a file imports, each with the file that imports it, following relative imports in the tree. */
export function packagesImported(app: AppSource, entries: readonly string[]): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [...entries];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file) || seen.size >= 500) continue;
    seen.add(file);
    const text = app.tree.text(file);
    if (text === undefined || !/\.(m|c)?[jt]s$/.test(file)) continue;
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.')) {
        const base = posix.normalize(posix.join(posix.dirname(file), specifier));
        const resolved = [base, ...SOURCE_EXTENSIONS.map((ext) => `${base}${ext}`), `${base}/index.js`].find(
          (candidate) => app.tree.text(candidate) !== undefined,
        );
        if (resolved !== undefined) queue.push(resolved);
        continue;
      }
      if (specifier.startsWith('node:') || specifier.startsWith('/')) continue;
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
      if (!BUILTINS.has(name) && !packages.has(name)) packages.set(name, file);
    }
  }
  return packages;
}

/** The files worth scanning for code patterns: sources outside tests. */
export function sourceFiles(tree: SourceTree): string[] {
  return tree.paths.filter(
    (path) => SOURCE_EXTENSIONS.includes(posix.extname(path)) && !/(^|\/)(test|tests|spec|__tests__)\//.test(path) && !/\.(test|spec)\./.test(path),
  );
}
