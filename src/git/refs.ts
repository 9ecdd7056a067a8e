// What a push may do, decided from the pre-receive hook's stdin (`<old> <new> <ref>` per line). Only `main` or
// `master` deploy, as on Heroku; deleting a branch and pushing any other branch are refused, except to the remote of a
// review apps parent (a pipeline app with review apps enabled), where another branch makes or updates its review app
// and deleting it destroys that. To any app of a pipeline, a branch under `ci/` (`git push local HEAD:ci/feature-x`)
// is a Heroku CI test run of the pushed commit, and deleting one is allowed. Tags ride along.

export const ZERO_SHA = /^0+$/;

export interface RefUpdate {
  readonly oldSha: string;
  readonly newSha: string;
  readonly ref: string;
}

export type PushPlan =
  | { readonly kind: 'deploy'; readonly update: RefUpdate; readonly branch: string }
  /** Another branch pushed to a review apps parent: make or update its review app. */
  | { readonly kind: 'review'; readonly update: RefUpdate; readonly branch: string }
  /** Another branch deleted on a review apps parent: destroy its review app. */
  | { readonly kind: 'destroy'; readonly update: RefUpdate; readonly branch: string }
  /** A `ci/<branch>` pushed to an app of a pipeline: a test run of the commit; `branch` is what follows `ci/`. */
  | { readonly kind: 'test'; readonly update: RefUpdate; readonly branch: string }
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject'; readonly lines: readonly string[] };

const DEPLOY_BRANCHES = new Set(['main', 'master']);
/** Branches under this prefix are test runs (README "Heroku CI from a git push"). */
export const TEST_BRANCH_PREFIX = 'ci/';
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function parseRefUpdates(text: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [oldSha = '', newSha = '', ref = ''] = line.split(/\s+/);
    if (!SHA.test(oldSha) || !SHA.test(newSha) || !ref.startsWith('refs/')) throw new Error(`Unexpected ref update line: ${line}`);
    updates.push({ oldSha, newSha, ref });
  }
  return updates;
}

export function isZero(sha: string): boolean {
  return ZERO_SHA.test(sha);
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/**
 * Lines are printed after `remote: ` by git; Heroku's error lines start with ` !     `. `reviewBranches`: the app is a
 * review apps parent, so other branches (one per push) make, update or destroy review apps. `testBranches`: the app
 * is in a pipeline, so a `ci/` branch is a test run.
 */
export function planPush(updates: readonly RefUpdate[], reviewBranches = false, testBranches = false): PushPlan {
  const deploys: Array<{ update: RefUpdate; branch: string }> = [];
  const reviews: Array<{ kind: 'review' | 'destroy' | 'test'; update: RefUpdate; branch: string }> = [];
  for (const update of updates) {
    if (update.ref.startsWith('refs/tags/')) continue;
    const name = shortRef(update.ref);
    if (!update.ref.startsWith('refs/heads/')) {
      return { kind: 'reject', lines: [` !     Push rejected: ${update.ref} is not a branch. Push the main or master branch to deploy.`] };
    }
    if (testBranches && name.startsWith(TEST_BRANCH_PREFIX) && name.length > TEST_BRANCH_PREFIX.length) {
      // Deleting a test branch only removes the ref: its runs stay in the pipeline's history.
      if (!isZero(update.newSha)) reviews.push({ kind: 'test', update, branch: name.slice(TEST_BRANCH_PREFIX.length) });
      continue;
    }
    if (reviewBranches && !DEPLOY_BRANCHES.has(name)) {
      reviews.push({ kind: isZero(update.newSha) ? 'destroy' : 'review', update, branch: name });
      continue;
    }
    if (isZero(update.newSha)) {
      return { kind: 'reject', lines: [` !     Push rejected: deleting the branch ${name} is not allowed.`] };
    }
    if (!DEPLOY_BRANCHES.has(name)) {
      return {
        kind: 'reject',
        lines: [
          ` !     Push rejected: only the main or master branch deploys, and you pushed ${name}.`,
          ` !     To deploy it, run: git push <remote> ${name}:main`,
        ],
      };
    }
    deploys.push({ update, branch: name });
  }
  const [first, second] = deploys;
  if (second) return { kind: 'reject', lines: [' !     Push rejected: push main or master, not both at once.'] };
  const [review, another] = reviews;
  if (review && (first || another)) {
    return { kind: 'reject', lines: [' !     Push rejected: push one branch at a time (each other branch than main or master is a review app).'] };
  }
  if (review) return review;
  if (!first) return { kind: 'accept' };
  return { kind: 'deploy', update: first.update, branch: first.branch };
}
