// Checks of what the source holds: committed secrets, and storage on the dyno's ephemeral filesystem.
import { posix } from 'node:path';
import { sourceFiles, type AppSource } from './app.js';
import { FINDINGS, type Finding } from './findings.js';

/** `.env` and `.env.production`, but not the templates people commit on purpose. */
const DOTENV = /^\.env(\.(?!example$|sample$|template$|dist$)[\w.-]+)?$/;

/** Well-known key formats, each with the name a learner recognises. */
const SECRET_FORMATS: ReadonlyArray<{ readonly kind: string; readonly pattern: RegExp }> = [
  { kind: 'an AWS access key ID', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'a private key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/ },
  { kind: 'a Stripe live secret key', pattern: /\b(?:sk|rk)_live_[0-9A-Za-z]{16,}/ },
  { kind: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/ },
];

export function checkSecrets(app: AppSource): Finding[] {
  const findings: Finding[] = [];
  for (const path of app.tree.paths) {
    if (DOTENV.test(posix.basename(path))) findings.push(FINDINGS.dotenvCommitted(path));
    if (path === 'package-lock.json' || path.endsWith('/package-lock.json')) continue;
    const text = app.tree.text(path);
    if (text === undefined) continue;
    for (const { kind, pattern } of SECRET_FORMATS) if (pattern.test(text)) findings.push(FINDINGS.secretInSource(kind, path));
  }
  return findings;
}

const SQLITE_PACKAGES = ['sqlite3', 'better-sqlite3', 'sqlite', 'node-sqlite3-wasm'];
const SQLITE_CODE = /^\s*import\s+sqlite3\b|^\s*from\s+sqlite3\s+import|django\.db\.backends\.sqlite3|sqlite:\/\/\//m;
const DATABASE_FILE = /\.(sqlite3?|db)$/;

export function checkSqlite(app: AppSource): Finding[] {
  const pkg = app.packageJson;
  const dependency = SQLITE_PACKAGES.find((name) => pkg?.dependencies[name] !== undefined);
  if (dependency !== undefined) return [FINDINGS.sqlite(`${dependency} in package.json`)];
  const file = app.tree.paths.find((path) => DATABASE_FILE.test(path));
  if (file !== undefined) return [FINDINGS.sqlite(`the database file ${file}`)];
  const code = sourceFiles(app.tree).find((path) => SQLITE_CODE.test(app.tree.text(path) ?? ''));
  return code !== undefined ? [FINDINGS.sqlite(`used in ${code}`)] : [];
}

/** Writes with a literal path (or one built on __dirname), Node.js and Python. */
const WRITES: readonly RegExp[] = [
  /\bfs(?:\.promises)?\.(?:writeFile|appendFile|createWriteStream|mkdir)(?:Sync)?\(\s*(['"`])([^'"`]+)\1/,
  /\b(?:writeFile|appendFile|createWriteStream)(?:Sync)?\(\s*(['"`])([^'"`]+)\1/,
  /\bopen\(\s*(['"])([^'"]+)\1\s*,\s*['"][wax]b?\+?['"]/,
  /\bmulter\(\s*\{[^}]*\bdest\s*:\s*(['"`])([^'"`]+)\1/,
];
const ON_DIRNAME = /\b(?:writeFile|appendFile|createWriteStream)(?:Sync)?\(\s*(?:path\.)?(?:join|resolve)\(\s*__dirname/;

export function checkLocalDisk(app: AppSource): Finding[] {
  for (const file of sourceFiles(app.tree)) {
    const text = app.tree.text(file) ?? '';
    for (const pattern of WRITES) {
      const target = pattern.exec(text)?.[2];
      if (target !== undefined && !/^\/tmp(\/|$)/.test(target) && !/^\/dev\//.test(target)) {
        return [FINDINGS.localDiskWrites(`${target} in ${file}`)];
      }
    }
    if (ON_DIRNAME.test(text)) return [FINDINGS.localDiskWrites(`under __dirname in ${file}`)];
  }
  return [];
}

/** Heroku's soft limit; the hard one (500 MB) fails the build. */
const SLUG_SOFT_LIMIT_BYTES = 300 * 1024 * 1024;

export function checkSlugSize(app: AppSource): Finding[] {
  const bytes = app.facts.slugBytes;
  return bytes !== undefined && bytes > SLUG_SOFT_LIMIT_BYTES ? [FINDINGS.slugSize(Math.round(bytes / (1024 * 1024)))] : [];
}
