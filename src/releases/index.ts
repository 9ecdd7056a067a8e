export { ReleasesService, type NewReleaseRequest, type ReleasePhaseRunner, type ReleaseRequest, type ReleasesDeps, type ReleasesOptions } from './service.js';
export { expiringReleases, sweepRetention, type RetentionPolicy } from './retention.js';
