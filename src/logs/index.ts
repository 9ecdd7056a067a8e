export { Logplex, matchesFilter, type LogFilter, type LogSubscriber } from './logplex.js';
export { formatLogLine, logTimestamp } from './format.js';
export { OutputStream, replayFile } from './output-stream.js';
