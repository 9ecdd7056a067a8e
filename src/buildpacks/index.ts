export {
  BuildpackError,
  BUNDLED_DIR,
  bundledBuildpacks,
  checkBuildpackDir,
  resolveBuildpack,
  type ResolvedBuildpack,
  type ResolveOptions,
} from './resolve.js';
