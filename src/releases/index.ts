export { ReleasesService, type NewReleaseRequest, type ReleasePhaseRunner, type ReleasesOptions } from './service.js';
