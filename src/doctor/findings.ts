// The catalogue of what `berth doctor` finds: one entry per check, a one-line message and a one-line fix. Where
// Heroku (or the tool Heroku runs) has its own words, they are used and the entry says where they come from; the
// rest are Berth's, written after Heroku's Dev Center advice that the entry names.

/** The checks, by stable name (`--json` prints it; scripts may match on it). */
export type CheckName =
  | 'no-process-type'
  | 'fixed-port'
  | 'node-version-unpinned'
  | 'python-version-unpinned'
  | 'lockfile-missing'
  | 'lockfile-out-of-date'
  | 'dotenv-committed'
  | 'secret-in-source'
  | 'sqlite'
  | 'local-disk-writes'
  | 'dev-dependency-at-runtime'
  | 'slug-size'
  | 'release-migrates-without-lock';

export interface Finding {
  readonly check: CheckName;
  readonly message: string;
  readonly fix: string;
}

export const FINDINGS = {
  /** Fix: heroku-buildpack-nodejs bin/warnings.sh (`protip`); Dev Center "Procfile". */
  noProcessType: (): Finding => ({
    check: 'no-process-type',
    message: 'No Procfile and no default process type: the build succeeds but no dyno would start',
    fix: 'Include a Procfile, package.json start script, or server.js file to start your app',
  }),
  /** Dev Center "Error codes" R10 and help article W5ETWBQB: bind to $PORT. */
  fixedPort: (port: string, where: string): Finding => ({
    check: 'fixed-port',
    message: `The web process listens on fixed port ${port} (${where}) instead of $PORT: on Heroku it crashes with Error R10 (Boot timeout)`,
    fix: 'Listen on the port in the PORT environment variable (process.env.PORT, os.environ["PORT"]), which changes each boot',
  }),
  /** Message: heroku-buildpack-nodejs warn_node_engine; fix: its protip. */
  nodeVersionUnpinned: (): Finding => ({
    check: 'node-version-unpinned',
    message: 'Node version not specified in package.json',
    fix: 'Specify a node version in package.json: "engines": { "node": "24.x" }',
  }),
  /** heroku-buildpack-python's warning when no version file exists. */
  pythonVersionUnpinned: (): Finding => ({
    check: 'python-version-unpinned',
    message: 'No Python version was specified: the buildpack picks its default, which changes over time',
    fix: "Create a .python-version file in the root of your app containing a Python version like '3.13'",
  }),
  /** Dev Center "Troubleshooting Node.js Deploys": check in your lockfile. */
  lockfileMissing: (): Finding => ({
    check: 'lockfile-missing',
    message: 'No lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml): each build may install different versions',
    fix: 'Run `npm install` and commit the package-lock.json it writes',
  }),
  /** npm ci's own words, which fail the build on Heroku. */
  lockfileOutOfDate: (names: readonly string[]): Finding => ({
    check: 'lockfile-out-of-date',
    message: `package.json and package-lock.json are not in sync (not in the lockfile: ${names.join(', ')}): \`npm ci\` fails the build`,
    fix: 'Please update your lock file with `npm install` before continuing, and commit it',
  }),
  /** Dev Center "Configuration and Config Vars": config lives in the environment, not in the repo. */
  dotenvCommitted: (path: string): Finding => ({
    check: 'dotenv-committed',
    message: `A .env file is committed (${path}): its values ship in every slug and in the repo's history`,
    fix: 'Set the values as config vars (heroku config:set NAME=value), add .env to .gitignore and remove it from git',
  }),
  secretInSource: (kind: string, path: string): Finding => ({
    check: 'secret-in-source',
    message: `A secret is in the source: ${kind} in ${path}`,
    fix: 'Revoke it, remove it from the repo and read it from a config var (heroku config:set) instead',
  }),
  /** Dev Center "SQLite on Heroku" and "Ephemeral filesystem". */
  sqlite: (where: string): Finding => ({
    check: 'sqlite',
    message: `SQLite (${where}) keeps its data on the dyno's ephemeral filesystem: it is lost at every restart, at least daily`,
    fix: 'Use Heroku Postgres (heroku addons:create heroku-postgresql) through DATABASE_URL instead',
  }),
  /** Dev Center "Ephemeral filesystem". */
  localDiskWrites: (where: string): Finding => ({
    check: 'local-disk-writes',
    message: `Files are written outside /tmp (${where}): each dyno has its own ephemeral filesystem, discarded when it restarts`,
    fix: 'Keep only scratch files, under /tmp; store lasting files in a database or object storage (such as S3)',
  }),
  /** Dev Center "Ephemeral filesystem", with the evidence of a stopped dyno's container diff. */
  dynoWroteFiles: (dyno: string, paths: readonly string[]): Finding => ({
    check: 'local-disk-writes',
    message: `${dyno} wrote files outside /tmp before it stopped (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}): Heroku discards them at every restart, at least daily`,
    fix: 'Keep only scratch files, under /tmp; store lasting files in a database or object storage (such as S3)',
  }),
  /** Dev Center "Node.js Support": devDependencies are pruned after the build. */
  devDependencyAtRuntime: (name: string, where: string): Finding => ({
    check: 'dev-dependency-at-runtime',
    message: `${name} is needed at run time (${where}) but is only in devDependencies, which Heroku prunes after the build`,
    fix: `Move ${name} from devDependencies to dependencies in package.json`,
  }),
  /** The build's soft-limit warning, as Heroku prints it. */
  slugSize: (megabytes: number): Finding => ({
    check: 'slug-size',
    message: `Warning: Your slug size (${megabytes} MB) exceeds our soft limit (300 MB) which may affect boot time.`,
    fix: 'Leave out what the app does not need at run time with a .slugignore file (tests, docs, build inputs)',
  }),
  /** Dev Center "Release Phase": release commands run migrations; a second release may run while one migrates. */
  releaseMigratesWithoutLock: (command: string): Finding => ({
    check: 'release-migrates-without-lock',
    message: `The release phase migrates without a lock (\`${command}\`): two releases close together can migrate at once`,
    fix: 'Hold a database lock while migrating (pg_advisory_lock, or a tool that takes one: rails, prisma, knex)',
  }),
} as const;

/** Lines of the push output around the findings (Berth's words; each finding adds its own two lines). */
export const PUSH_LINES = {
  heading: (count: number) => `-----> berth doctor: ${count} ${count === 1 ? 'thing' : 'things'} Heroku would mind (the build goes on)`,
  message: (finding: Finding) => ` !     ${finding.message}`,
  fix: (finding: Finding) => ` !     Fix: ${finding.fix}`,
} as const;
