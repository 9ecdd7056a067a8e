// What a push prints after git's own lines (each becomes a `remote:` line): Heroku's words where Heroku has them
// (heroku-build-behaviour.md, heroku-runtime-behaviour.md §4.2), Berth's where a push meets something Heroku never
// shows (a push waiting in the app's queue, a branch moved while it waited). The build's own output comes from builds/.

export const pushLines = {
  sourceReceived: ['Compressing source files... done.', 'Building source:', ''],
  /** The push waits in the app's queue behind `running` (what the queue says it runs: `push`, `build <id>`, ...). */
  waiting: (appName: string, running: string): string =>
    running === PUSH_WORK
      ? `-----> Waiting for another push to ${appName} to finish...`
      : `-----> Waiting for another build or change of ${appName} to finish...`,
  sourceNotReceived: (reason: string): string[] => [` !     The source could not be received: ${reason}`, ' !     Push failed'],
  branchMoved: (branch: string, head: string | undefined): string[] => [
    ` !     Push rejected: ${branch} was updated by another push while this one waited (it is now at ${head?.slice(0, 7) ?? 'nothing'}).`,
    ` !     Fetch, merge or rebase, and push again.`,
    ' !     Push failed',
  ],
  appDestroyed: [' !     The app was destroyed during this push.', ' !     Push failed'],
  verifying: 'Verifying deploy...',
  verified: ['', 'Verifying deploy... done.'],
  rejected: (appName: string): string[] => ['', `!\tPush rejected to ${appName}.`, ''],
  /** The release phase after `Verifying deploy... done.` (heroku-runtime-behaviour.md §4.2); the push succeeds either way. */
  releaseCommandRunning: 'Running release command...',
  releaseWaited: (succeeded: boolean): string => `Waiting for release.... ${succeeded ? 'done' : 'failed'}.`,
  // Review apps from branches (Berth's words: Heroku makes them from GitHub pull requests, with no push).
  reviewCreating: (name: string, branch: string, pipeline: string): string => `-----> Creating review app ${name} of pipeline ${pipeline} from ${branch}`,
  reviewUpdating: (name: string, branch: string): string => `-----> Deploying ${branch} to its review app ${name}`,
  reviewReady: (name: string, url: string): string => `-----> Review app ${name} is up: ${url}`,
  reviewNotMade: (reason: string): string[] => [` !     The review app could not be made: ${reason}`, ' !     Push failed'],
  reviewBranchInvalid: (branch: string): string[] => [
    ` !     Push rejected: the branch ${branch} cannot name a review app (it needs a letter or a digit).`,
    ' !     Rename the branch and push again.',
  ],
  reviewPostdeploy: (name: string): string => `-----> Running scripts.postdeploy of ${name}`,
  reviewPredestroy: (name: string): string => `-----> Running scripts.pr-predestroy of ${name}`,
  reviewDestroyed: (name: string, branch: string): string => `-----> Review app ${name} of ${branch} destroyed`,
  reviewNone: (branch: string): string => `-----> ${branch} has no review app: nothing to destroy`,
  // Test runs from `ci/` branches (Berth's words: Heroku CI runs from GitHub, with no push).
  testRunStarted: (number: number, pipeline: string, branch: string, sha: string): string =>
    `-----> Test run #${number} of pipeline ${pipeline}: ${branch} at ${sha.slice(0, 7)} (app.json environments.test)`,
  testRunSucceeded: (number: number): string => `-----> Test run #${number} succeeded`,
  testRunFailed: (number: number, status: string, exitCode: number | null, message: string | null): string[] => [
    ` !     Test run #${number} ${status}${exitCode === null ? '' : ` (exit status ${exitCode})`}${message === null ? '' : `: ${message}`}`,
    ' !     Push failed',
  ],
} as const;

/** What a push is called in the app's queue (`AppQueues.busy`). */
export const PUSH_WORK = 'push';
