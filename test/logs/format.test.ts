import { describe, expect, it } from 'vitest';
import {
  l10Message,
  l11Message,
  octetCounted,
  parseDrainUrl,
  rfc5424Message,
  splitMessage,
  sseEvent,
  SseParser,
  syslogPriority,
} from '../../src/logs/index.js';
import { parseOctetCounted } from './support.js';

const line = (source: 'app' | 'heroku', dyno: string, message: string) => ({ ts: '2026-11-26T06:33:52.203117+00:00', source, dyno, message });

describe('splitting long lines', () => {
  it('leaves lines up to 10000 bytes alone', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
    expect(splitMessage('x'.repeat(10_000))).toEqual(['x'.repeat(10_000)]);
  });

  it('splits longer lines into 10000-byte chunks', () => {
    const pieces = splitMessage('a'.repeat(25_001));
    expect(pieces.map((p) => p.length)).toEqual([10_000, 10_000, 5_001]);
  });

  it('never cuts a UTF-8 character in two', () => {
    const text = 'é'.repeat(6_000); // 12,000 bytes
    const pieces = splitMessage(text);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(10_000);
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
    const emoji = 'x' + '😀'.repeat(5_000); // odd offset, 4-byte characters
    const emojiPieces = splitMessage(emoji, 10_000);
    expect(emojiPieces.join('')).toBe(emoji);
    for (const piece of emojiPieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(10_000);
  });
});

describe('drain framing', () => {
  it('writes RFC 5424 as logplex does: HTTP drains with HOSTNAME host, syslog drains with the token', () => {
    expect(rfc5424Message(line('heroku', 'router', 'at=info method=GET'), 'http')).toBe(
      '<158>1 2026-11-26T06:33:52.203117+00:00 host heroku router - at=info method=GET',
    );
    expect(rfc5424Message(line('app', 'web.1', 'listening'), 'syslog', 'd.abc')).toBe(
      '<190>1 2026-11-26T06:33:52.203117+00:00 d.abc app web.1 - - listening',
    );
    expect(syslogPriority(line('app', 'api', 'x'))).toBe(133);
    expect(syslogPriority(line('heroku', 'web.1', 'x'))).toBe(134);
  });

  it('octet-counts in bytes, not characters', () => {
    const framed = octetCounted('héllo ⬢');
    expect(framed.toString('utf8')).toBe(`${Buffer.byteLength('héllo ⬢')} héllo ⬢`);
    expect(parseOctetCounted(Buffer.concat([framed, octetCounted('two words'), octetCounted('a\nb')]))).toEqual(['héllo ⬢', 'two words', 'a\nb']);
  });

  it("writes Heroku's L10 and L11 texts", () => {
    const since = Date.UTC(2013, 3, 17, 19, 4, 46, 500);
    expect(l10Message(500, since)).toBe('Error L10 (output buffer overflow): 500 messages dropped since 2013-04-17T19:04:46+00:00.');
    expect(l11Message(1101, since)).toBe('Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2013-04-17T19:04:46+00:00.');
  });

  it('accepts https, http, syslog and syslog+tls drain URLs and nothing else', () => {
    expect(parseDrainUrl('https://user:pass@logs.example.com/path')?.host).toBe('logs.example.com');
    expect(parseDrainUrl('syslog://logs.example.com:514')?.port).toBe('514');
    expect(parseDrainUrl('syslog+tls://logs.example.com:6514')?.protocol).toBe('syslog+tls:');
    for (const bad of ['', 'not a url', 'ftp://example.com', 'syslog://example.com', 'https://', 42, null]) expect(parseDrainUrl(bad)).toBeUndefined();
  });
});

describe('server-sent events', () => {
  it('writes one event per line, with its seq as id, and several data lines for a message with line breaks', () => {
    expect(sseEvent(7, '2026 app[web.1]: hi')).toBe('id: 7\ndata: 2026 app[web.1]: hi\n\n');
    expect(sseEvent(8, 'a\r\nb\rc\nd')).toBe('id: 8\ndata: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('parses a stream split anywhere, with CRLF, comments, retry and ids', () => {
    const text = 'retry: 1000\n\n: comment\nid: 1\ndata: one\n\nid: 2\r\ndata: two\r\ndata: lines\r\n\r\ndata: no id\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events).toEqual([
        { id: '1', event: 'message', data: 'one' },
        { id: '2', event: 'message', data: 'two\nlines' },
        { id: '2', event: 'message', data: 'no id' },
      ]);
      expect(parser.retry).toBe(1000);
      expect(parser.lastEventId).toBe('2');
    }
  });
});
