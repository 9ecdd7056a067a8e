export {
  BuildpackError,
  bundledBuildpacks,
  registryBlobUrl,
  resolveBuildpack,
  type ResolvedBuildpack,
  type ResolveOptions,
} from './resolve.js';
