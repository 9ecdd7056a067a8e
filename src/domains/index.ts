/** domains/: an app's heroku and custom domains; the dyno manager reads their host names for the routing snapshot. */
export { APP_DOMAIN_SUFFIX, DomainsService, herokuDomainId, type Domain } from './service.js';
export type { CertificateUpload, SniEndpoint } from './sni-endpoints.js';
