// Server-Sent Events, as the heroku CLI's eventsource@4 reads them: `id:` and `data:` fields, a blank line ends an
// event; CR, LF and CRLF all end a line, so a message with line breaks becomes several `data:` lines.

/** One event: `id: <id>` then one `data:` per line of `data`. */
export function sseEvent(id: number | string, data: string): string {
  const lines = data.split(/\r\n|\r|\n/);
  let text = `id: ${id}\n`;
  for (const line of lines) text += `data: ${line}\n`;
  return `${text}\n`;
}

export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * An incremental parser of an event stream (the WHATWG algorithm, as eventsource implements it): feed it chunks,
 * it returns the events completed so far. `lastEventId` and `retry` carry over as the spec says.
 */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #sawData = false;
  lastEventId: string | undefined;
  retry: number | undefined;
  #pendingCr = false;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = text.endsWith('\r');
    this.#buffer += text;
    const out: SseMessage[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line, out);
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.#sawData) out.push({ id: this.lastEventId, event: this.#event || 'message', data: this.#data.join('\n') });
      this.#data = [];
      this.#event = '';
      this.#sawData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#data.push(value);
      this.#sawData = true;
    } else if (field === 'id') {
      if (!value.includes('\0')) this.lastEventId = value;
    } else if (field === 'event') {
      this.#event = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
  }
}
