export {
  BuildpackError,
  bundledBuildpacks,
  resolveBuildpack,
  type ResolvedBuildpack,
  type ResolveOptions,
} from './resolve.js';
