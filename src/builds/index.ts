export { BuildsService, type BuildAdvisor, type BuildReleases, type BuildsDeps, type BuildsOptions, type CreateBuildRequest, type ContainerPush } from './service.js';
export { SlugCompiler, type CompilerOptions, type CompileJob, type CompiledSlug } from './compiler.js';
export { SlugUploads, type NewSlugRequest } from './slug-uploads.js';
export { parseProcfile, mergeProcessTypes } from './procfile.js';
export { parseReleaseYaml } from './release-yaml.js';
export { ImageBuilder } from './image-builder.js';
export { ManifestError, parseHerokuSetup, type HerokuSetup } from './heroku-yml.js';
