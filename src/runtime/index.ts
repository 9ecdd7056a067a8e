// The runtime room's whole public surface: the only code in Berth that talks to Docker.
export { ensureEngine, stopEngineWeStarted, engineFiles } from './engine.js';
export {
  Runtime,
  EngineUnavailableError,
  splitRef,
  type ContainerSpec,
  type RunSpec,
  type ContainerSummary,
  type ImageInfo,
  type ImportOptions,
  type ExecSpec,
  type ContainerState,
  type CommitOptions,
} from './runtime.js';
export { LABEL, type BerthLabels, type ContainerRole } from './labels.js';
export { withFileLock, type LockOptions } from './lock.js';
export { hostTrust, type ContainerTrust } from './host-ca.js';
