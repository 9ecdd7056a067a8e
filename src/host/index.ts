// The host room's whole public surface: preparing this machine for Berth (an engine that answers, file locks).
export { ensureEngine, type LocalEngine } from './engine.js';
export { withFileLock, type LockOptions } from './lock.js';
