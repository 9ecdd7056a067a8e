export { ReleasesService, type NewReleaseRequest } from './service.js';
