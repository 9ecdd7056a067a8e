// `berth doctor`: every check over one app's source, in a fixed order (the order of the push output and --json).
import { readApp, type BuildFacts } from './app.js';
import { checkDevDependencies, checkLockfile, checkRuntimePinned } from './dependency-checks.js';
import type { Finding } from './findings.js';
import { checkFixedPort, checkProcessTypes, checkReleaseMigration } from './process-checks.js';
import { checkLocalDisk, checkSecrets, checkSlugSize, checkSqlite } from './source-checks.js';
import type { SourceTree } from './tree.js';

const CHECKS = [
  checkProcessTypes,
  checkFixedPort,
  checkRuntimePinned,
  checkLockfile,
  checkSecrets,
  checkSqlite,
  checkLocalDisk,
  checkDevDependencies,
  checkSlugSize,
  checkReleaseMigration,
];

/** What a buildpack does, which an app built from its own Dockerfile does itself (container.ts). */
const BUILDPACK_ONLY = new Set<(typeof CHECKS)[number]>([checkProcessTypes, checkRuntimePinned, checkLockfile, checkDevDependencies, checkSlugSize]);

/** Pure: the tree (and what the build knew) in, the findings out. */
export function examine(tree: SourceTree, facts: BuildFacts = {}): Finding[] {
  const app = readApp(tree, facts);
  return CHECKS.filter((check) => !app.container || !BUILDPACK_ONLY.has(check)).flatMap((check) => check(app));
}
