// A git work tree for a test, made the one way every test needs it: `git init` on a branch, the files written, all of
// it committed once by a fixed test identity. Pushing it, and what it is pushed to, stays with each test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Who commits when the environment names nobody (sandboxed CLI environments name their own). */
const IDENTITY = { GIT_AUTHOR_NAME: 'Berth Test', GIT_AUTHOR_EMAIL: 'test@berth.localhost', GIT_COMMITTER_NAME: 'Berth Test', GIT_COMMITTER_EMAIL: 'test@berth.localhost' };

export interface GitRepoOptions {
  /** The branch the commit is on (default `main`). */
  readonly branch?: string;
  /** Files to write first, by path relative to the repo (folders are made). */
  readonly files?: Readonly<Record<string, string>>;
  /** The commit message (default `init`). */
  readonly message?: string;
  /** The environment git runs in, e.g. a sandboxed CLI environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Makes `dir` (which exists, with whatever is in it) a git repo of one commit holding all of it; answers the commit's sha. */
export function gitRepoOf(dir: string, options: GitRepoOptions = {}): string {
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const env = { ...IDENTITY, ...(options.env ?? process.env) };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '--quiet', `--initial-branch=${options.branch ?? 'main'}`);
  git('add', '--all');
  git('commit', '--quiet', '--allow-empty', '-m', options.message ?? 'init');
  return git('rev-parse', 'HEAD');
}
