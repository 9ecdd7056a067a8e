import { describe, expect, it } from 'vitest';
import { daemonLogger, formatLogLine, readableLogs } from '../../src/cli/daemon-log.js';
import { loadSettings } from '../../src/settings.js';

const at = new Date(2026, 0, 2, 9, 5, 7).getTime(); // local time, as the formatter prints it

function sink(isTTY: boolean): { isTTY: boolean; lines: string[]; write(text: string): void } {
  const lines: string[] = [];
  return { isTTY, lines, write: (text: string) => void lines.push(text) };
}

describe('the daemon log on a terminal', () => {
  it('prints HH:MM:SS level msg key=value, without pino\'s pid, hostname and name', () => {
    const line = JSON.stringify({ level: 30, time: at, pid: 42, hostname: 'box', name: 'berth', module: 'api', msg: 'berth daemon started', api: 'http://127.0.0.1:5100', port: 5100 });
    expect(formatLogLine(line)).toBe('09:05:07 info  berth daemon started module=api api=http://127.0.0.1:5100 port=5100\n');
  });

  it('quotes values with spaces, prints objects as JSON, and an error with its stack below', () => {
    const line = JSON.stringify({ level: 50, time: at, msg: 'push failed', app: 'my app', dyno: { name: 'web.1' }, err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' } });
    expect(formatLogLine(line).split('\n')).toEqual([
      '09:05:07 error push failed app="my app" dyno={"name":"web.1"} err=boom',
      '    Error: boom',
      '        at x (y.js:1:1)',
      '',
    ]);
  });

  it('passes a line that is not JSON through as it is', () => {
    expect(formatLogLine('plain words')).toBe('plain words\n');
  });
});

describe('BERTH_LOG_FORMAT', () => {
  it('auto: readable on a terminal, JSON otherwise; json and pretty force one', () => {
    const auto = loadSettings({});
    expect(auto.logFormat).toBe('auto');
    expect(readableLogs(auto, { isTTY: true, write: () => undefined })).toBe(true);
    expect(readableLogs(auto, { isTTY: false, write: () => undefined })).toBe(false);
    expect(readableLogs(loadSettings({ BERTH_LOG_FORMAT: 'json' }), { isTTY: true, write: () => undefined })).toBe(false);
    expect(readableLogs(loadSettings({ BERTH_LOG_FORMAT: 'pretty' }), { isTTY: false, write: () => undefined })).toBe(true);
    expect(() => loadSettings({ BERTH_LOG_FORMAT: 'yaml' })).toThrow('BERTH_LOG_FORMAT must be one of auto, json, pretty, got "yaml"');
  });

  it('the logger writes readable lines to a terminal', () => {
    const out = sink(true);
    daemonLogger(loadSettings({}), out).child({ module: 'router' }).warn({ app: 'demo' }, 'slow dyno');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d warn  slow dyno module=router app=demo\n$/);
  });
});
