export { DynoManager, type DynoManagerDeps } from './manager.js';
export { parseQuantity, type FormationUpdate } from './formation.js';
export { type OneOffRequest } from './one-offs.js';
export { dynoSize, DEFAULT_SIZE, type DynoSize } from './sizes.js';
export { Rendezvous } from './rendezvous.js';
