export { Logplex, type LogFilter, type LogplexOptions, type LogSubscriber } from './logplex.js';
export {
  formatLogLine,
  logTimestamp,
  octetCounted,
  rfc5424Message,
  splitMessage,
  syslogPriority,
} from './format.js';
export { l10Message, l11Message } from './lines/drains.js';
export { API_LINES, RELEASE_DESCRIPTIONS } from './lines/api.js';
export { OutputStream, replayFile } from './output-stream.js';
export { SseParser, sseEvent, type SseMessage } from './sse.js';
export {
  LogSessions,
  type LogSession,
  type LogSessionRequest,
  type LogSessionsOptions,
} from './sessions.js';
export { drainTrust, LogDrains, type LogDrainRecord, type LogDrainsOptions } from './drains.js';
export {
  DrainOutlet,
  HttpDrainOutlet,
  parseDrainUrl,
  SyslogDrainOutlet,
  type OutletOptions,
  type OutletStats,
} from './drain-outlets.js';
export { DYNO_LINES, type LoggedDynoState } from './lines/dyno.js';
export { ADDON_LINES, addonLogSource } from './lines/addons.js';
