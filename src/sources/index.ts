export { SourcesService, SourceFetchError, type SourceBlob, type SourcesOptions } from './service.js';
export {
  formatBytes,
  inspectSource,
  repackSource,
  safeEntryPath,
  SourceArchiveError,
  type RepackOptions,
  type SourceInspection,
  type SourceLimits,
} from './archive.js';
