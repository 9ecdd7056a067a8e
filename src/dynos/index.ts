export { DynoManager, parseQuantity, type DynoManagerDeps, type FormationUpdate, type OneOffRequest } from './manager.js';
export { dynoSize, DEFAULT_SIZE, type DynoSize } from './sizes.js';
export { Rendezvous } from './rendezvous.js';
