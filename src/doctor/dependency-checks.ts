// Checks of the app's runtime and dependencies: versions pinned, a lockfile in sync, nothing the dynos need left
// in devDependencies (which the Node.js buildpack prunes after the build).
import { entryFiles, expandCommand, packagesImported, type AppSource } from './app.js';
import { FINDINGS, type Finding } from './findings.js';

const PYTHON_FILES = ['requirements.txt', 'setup.py', 'pyproject.toml', 'Pipfile'];
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'];

export function checkRuntimePinned(app: AppSource): Finding[] {
  const findings: Finding[] = [];
  if (app.packageJson !== undefined && !app.packageJson.engines['node']) findings.push(FINDINGS.nodeVersionUnpinned());
  const paths = app.tree.paths;
  const python = PYTHON_FILES.some((file) => paths.includes(file));
  if (python && !paths.includes('.python-version') && !paths.includes('runtime.txt')) findings.push(FINDINGS.pythonVersionUnpinned());
  return findings;
}

/** The package names package-lock.json records as the root's direct dependencies (lockfile v1, v2 and v3). */
function lockedNames(text: string): Set<string> | undefined {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof lock !== 'object' || lock === null) return undefined;
  const { packages, dependencies } = lock as { packages?: Record<string, unknown>; dependencies?: Record<string, unknown> };
  const names = new Set<string>();
  if (packages !== undefined) {
    for (const path of Object.keys(packages)) if (path.startsWith('node_modules/')) names.add(path.slice('node_modules/'.length));
  }
  if (dependencies !== undefined) for (const name of Object.keys(dependencies)) names.add(name);
  return names;
}

export function checkLockfile(app: AppSource): Finding[] {
  const pkg = app.packageJson;
  if (pkg === undefined) return [];
  const declared = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
  const present = LOCKFILES.filter((file) => app.tree.paths.includes(file));
  if (present.length === 0) return declared.length > 0 ? [FINDINGS.lockfileMissing()] : [];
  const npmLock = app.tree.text('package-lock.json') ?? app.tree.text('npm-shrinkwrap.json');
  if (npmLock === undefined) return [];
  const locked = lockedNames(npmLock);
  if (locked === undefined) return [];
  const missing = declared.filter((name) => !locked.has(name));
  return missing.length > 0 ? [FINDINGS.lockfileOutOfDate(missing)] : [];
}

export function checkDevDependencies(app: AppSource): Finding[] {
  const pkg = app.packageJson;
  if (pkg === undefined) return [];
  const devOnly = (name: string) => pkg.devDependencies[name] !== undefined && pkg.dependencies[name] === undefined;
  const findings = new Map<string, Finding>();
  for (const [type, command] of Object.entries(app.processTypes)) {
    if (type === 'release') continue;
    const expanded = expandCommand(app, command);
    // The program itself (`nodemon server.js`, `npx ts-node app.ts`).
    const program = expanded.trim().split(/\s+/).find((word) => word !== 'npx' && !/^\w+=/.test(word)) ?? '';
    if (devOnly(program)) findings.set(program, FINDINGS.devDependencyAtRuntime(program, `the ${type} command \`${expanded}\``));
    for (const [name, file] of packagesImported(app, entryFiles(app, command))) {
      if (devOnly(name) && !findings.has(name)) findings.set(name, FINDINGS.devDependencyAtRuntime(name, `imported by ${file}`));
    }
  }
  return [...findings.values()];
}
