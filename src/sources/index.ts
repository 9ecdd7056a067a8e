export { SourcesService, SourceFetchError, type SourceBlob, type SourcesOptions } from './service.js';
export {
  inspectSource,
  repackSource,
  SourceArchiveError,
  type RepackOptions,
  type SourceInspection,
  type SourceLimits,
} from './archive.js';
