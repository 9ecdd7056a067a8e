// The daemon's own log as `berth up` prints it: pino's JSON lines for machines (not a terminal, or
// BERTH_LOG_FORMAT=json), one readable line per entry on a terminal, beside the human banner:
//   15:04:05 info  berth daemon started api=http://127.0.0.1:5100 git=127.0.0.1:5101
// A small pino destination rather than pino-pretty, which is not one of Berth's dependencies.
import pino, { type Logger } from 'pino';
import type { Settings } from '../settings.js';

const LEVELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Fields every line carries that the readable form shows elsewhere (time, level, msg) or not at all. */
const HIDDEN = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name', 'v']);

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function isError(value: unknown): value is { message?: unknown; stack?: unknown } {
  return typeof value === 'object' && value !== null && ('stack' in value || 'message' in value);
}

/** One pino JSON line as `HH:MM:SS level msg key=value ...` (local time); an error's stack follows, indented. */
export function formatLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = new Date(typeof entry['time'] === 'number' ? entry['time'] : Date.now());
  const level = LEVELS[Number(entry['level'])] ?? String(entry['level']);
  const parts = [`${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`, level.padEnd(5)];
  if (typeof entry['msg'] === 'string') parts.push(entry['msg']);
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (isError(value)) {
      parts.push(`${key}=${fieldValue(value.message ?? '')}`);
      if (typeof value.stack === 'string') stacks.push(...value.stack.split('\n').map((line) => `    ${line}`));
      continue;
    }
    parts.push(`${key}=${fieldValue(value)}`);
  }
  return [parts.join(' '), ...stacks].join('\n') + '\n';
}

interface Output {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Readable lines on a terminal unless BERTH_LOG_FORMAT says otherwise; JSON everywhere else. */
export function readableLogs(settings: Settings, out: Output): boolean {
  if (settings.logFormat === 'auto') return out.isTTY === true;
  return settings.logFormat === 'pretty';
}

export function daemonLogger(settings: Settings, out: Output = process.stdout): Logger {
  const options = { level: settings.logLevel, base: { name: 'berth' } };
  if (!readableLogs(settings, out)) return pino(options);
  return pino(options, { write: (line: string) => void out.write(formatLogLine(line)) });
}
