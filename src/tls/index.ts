/** tls/: the local certificate authority and certificates for the API, git, rendezvous and router. */
export { ensureCa } from './ca.js';
export type { IssueOptions, IssuedCertificate, LocalCa } from './ca.js';
export { createSniCallback, createSniHandler } from './sni.js';
export type { SniCallback, SniHandler, SniOptions } from './sni.js';
export { ensureCaBundle } from './bundle.js';
export { normalizeHostname } from './names.js';
