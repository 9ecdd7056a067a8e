export { DynoManager, type DynoManagerDeps } from './manager.js';
export { type FormationUpdate } from './formation.js';
export { type OneOffRequest } from './one-offs.js';
export { dynoSizes, type DynoSize } from './sizes.js';
export { Rendezvous } from './rendezvous.js';
export type { DynoMetadataSource } from './metadata.js';
export type { DynoVitals, TeachableDyno } from './executor.js';
