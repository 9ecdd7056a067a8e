// What a push may do, decided from the pre-receive hook's stdin (`<old> <new> <ref>` per line). Only `main` or
// `master` deploy, as on Heroku; deleting a branch and pushing any other branch are refused. Tags ride along.

export const ZERO_SHA = /^0+$/;

export interface RefUpdate {
  readonly oldSha: string;
  readonly newSha: string;
  readonly ref: string;
}

export type PushPlan =
  | { readonly kind: 'deploy'; readonly update: RefUpdate; readonly branch: string }
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject'; readonly lines: readonly string[] };

const DEPLOY_BRANCHES = new Set(['main', 'master']);
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

/** Lines are printed after `remote: ` by git; Heroku's error lines start with ` !     `. */
export function planPush(updates: readonly RefUpdate[]): PushPlan {
  const deploys: Array<{ update: RefUpdate; branch: string }> = [];
  for (const update of updates) {
    if (update.ref.startsWith('refs/tags/')) continue;
    const name = shortRef(update.ref);
    if (!update.ref.startsWith('refs/heads/')) {
      return { kind: 'reject', lines: [` !     Push rejected: ${update.ref} is not a branch. Push the main or master branch to deploy.`] };
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
  if (!first) return { kind: 'accept' };
  return { kind: 'deploy', update: first.update, branch: first.branch };
}
