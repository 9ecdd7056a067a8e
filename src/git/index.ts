/** git/: smart HTTP through `git http-backend`, per-app bare repos, and the pre-receive hook that deploys a push. */
export {
  GitService,
  type GitApps,
  type GitBuilds,
  type GitDeps,
  type GitOptions,
  type GitReleases,
  type GitSources,
  type PushSession,
} from './service.js';
export { gitRoutes, INTERNAL_PUSH_PATH, type GitRoutesOptions } from './routes.js';
export { planPush, parseRefUpdates, type PushPlan, type RefUpdate } from './refs.js';
export { parseCgiHeaders } from './cgi.js';
