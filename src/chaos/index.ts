export { ChaosService, type ChaosAnswer, type ChaosDeps, type ChaosDynos, type ChaosRequest } from './service.js';
export { CHAOS_KINDS, CRASH_SIGNALS, isChaosKind, type ChaosKind, type CrashSignal } from './kinds.js';
