/** git/: smart HTTP through `git http-backend`, per-app bare repos, and the pre-receive hook that deploys a push. */
export {
  GitService,
  PushRefused,
  type GitApps,
  type GitBuilds,
  type GitDeps,
  type GitOptions,
  type GitReleases,
  type GitSources,
  type PushSession,
} from './service.js';
export { gitRoutes, INTERNAL_PUSH_PATH, type GitRoutesOptions } from './routes.js';
export { Repos } from './repos.js';
export { planPush, parseRefUpdates, type PushPlan, type RefUpdate } from './refs.js';
export { parseCgiHeaders, cgiEnvironment } from './cgi.js';
