export { BuildsService, deployDescription, type BuildsDeps, type BuildsOptions, type CreateBuildRequest } from './service.js';
export { SlugCompiler, type CompilerOptions, type CompileJob, type CompiledSlug } from './compiler.js';
export { BuildFailure } from './failure.js';
export { parseProcfile, mergeProcessTypes, ProcfileError } from './procfile.js';
export { parseReleaseYaml, ReleaseYamlError } from './release-yaml.js';
export { parseBuildpacksFile } from './detect.js';
export { cacheVolume } from './workspace.js';
