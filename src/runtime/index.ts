// The runtime room's whole public surface: the engine port (`Runtime`) and its implementations, the only code in
// Berth that talks to a container engine.
export {
  splitRef,
  ImageBuildError,
  type ImageBuildSpec,
  type Runtime,
  type ContainerSpec,
  type RunSpec,
  type AttachedIo,
  type ContainerSummary,
  type ContainerUsage,
  type ContainerChange,
  type ImageInfo,
  type ImportOptions,
  type ExecSpec,
  type ContainerState,
  type CommitOptions,
  type ProcessSignal,
} from './port.js';
export { dockerfileInstructions } from './dockerfile.js';
export { DockerRuntime } from './docker/index.js';
export {
  MemoryRuntime,
  connectionReset,
  type Script,
  type ScriptMatch,
  type ScriptedExec,
  type ExecHandler,
  type ExecMatch,
  type FaultyMethod,
  type MemoryRuntimeOptions,
} from './memory/index.js';
export { containerName, type BerthLabels, type ContainerRole } from './labels.js';
export { hostTrust, type ContainerTrust } from './host-ca.js';
export {
  SwarmRuntime,
  parseEngines,
  copyImages,
  ensureLocalSwarm,
  enginesSetting,
  stopLocalSwarm,
  startRegistry,
  ensureRegistryPackage,
  type LocalSwarm,
  type SupervisedRegistry,
} from './swarm/index.js';
