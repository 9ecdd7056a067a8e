export { Logplex, matchesFilter, type LogFilter, type LogplexOptions, type LogSubscriber } from './logplex.js';
export {
  formatLogLine,
  l10Message,
  l11Message,
  logTimestamp,
  MAX_LINE_BYTES,
  octetCounted,
  rfc5424Message,
  splitMessage,
  syslogPriority,
} from './format.js';
export { OutputStream, replayFile } from './output-stream.js';
export { SseParser, sseEvent, type SseMessage } from './sse.js';
export {
  DEFAULT_SESSION_LINES,
  LogSessions,
  MAX_SESSION_LINES,
  type LogSession,
  type LogSessionRequest,
  type LogSessionsOptions,
} from './sessions.js';
export { drainTrust, LogDrains, MAX_DRAINS_PER_APP, type LogDrainsOptions } from './drains.js';
export {
  createOutlet,
  DRAIN_BUFFER_MESSAGES,
  DRAIN_USER_AGENT,
  DrainOutlet,
  HTTP_FRAME_TARGET_BYTES,
  HTTP_FRAME_TRIES,
  HttpDrainOutlet,
  parseDrainUrl,
  SyslogDrainOutlet,
  type OutletOptions,
  type OutletStats,
} from './drain-outlets.js';
export { DYNO_API_LINES, DYNO_LINES, type LoggedDynoState, type ScaledType } from './lines/dyno.js';
