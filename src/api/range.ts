// Heroku's Range / Next-Range paging. Clients send forms such as:
//   `version ..; max=15, order=desc`   `version ..; order=desc,max=1`   `id ..; max=1000;`   `name ]app-200..; max=200`
// An empty or missing header means the resource's default field, ascending, 200 per page.
import { raise } from '../errors.js';

export interface Range {
  readonly field: string;
  /** Start value; `]` before it (exclusive) is how Next-Range continues after the last item sent. */
  readonly start: string | undefined;
  readonly startExclusive: boolean;
  readonly end: string | undefined;
  readonly max: number;
  readonly order: 'asc' | 'desc';
  /**
   * With an exclusive start: items whose value equals the start are skipped only up to this id (in the page's order),
   * so a Next-Range that falls between items sharing a value (two builds in one second) skips none of them.
   */
  readonly afterId?: string | undefined;
}

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 1000;

export function parseRange(header: string | undefined, fields: readonly string[]): Range {
  const fallback: Range = { field: fields[0] as string, start: undefined, startExclusive: false, end: undefined, max: DEFAULT_PAGE_SIZE, order: 'asc' };
  const text = (header ?? '').trim();
  if (text === '') return fallback;

  const space = text.search(/\s/);
  const field = space === -1 ? text : text.slice(0, space);
  if (!fields.includes(field)) {
    raise('range_field_invalid', { field, fields: fields.join(', ') });
  }
  let rest = space === -1 ? '' : text.slice(space).trim();
  let start: string | undefined;
  let end: string | undefined;
  let startExclusive = false;
  const dots = rest.indexOf('..');
  if (dots !== -1) {
    let from = rest.slice(0, dots).trim();
    if (from.startsWith(']')) {
      startExclusive = true;
      from = from.slice(1);
    }
    start = from === '' ? undefined : from;
    rest = rest.slice(dots + 2);
    const sep = rest.search(/[;,]/);
    const to = (sep === -1 ? rest : rest.slice(0, sep)).trim();
    end = to === '' ? undefined : to;
    rest = sep === -1 ? '' : rest.slice(sep);
  }

  let max = DEFAULT_PAGE_SIZE;
  let order: 'asc' | 'desc' = 'asc';
  let afterId: string | undefined;
  for (const option of rest.split(/[;,]/)) {
    const trimmed = option.trim();
    if (trimmed === '') continue;
    const [key, value = ''] = trimmed.split('=').map((part) => part.trim());
    if (key === 'max') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) raise('range_max_invalid', { value });
      max = Math.min(n, MAX_PAGE_SIZE);
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') raise('range_order_invalid', { value });
      order = value;
    } else if (key === 'after_id' && value !== '') {
      afterId = value;
    } else {
      raise('range_option_unknown', { option: trimmed });
    }
  }
  return { field, start, startExclusive, end, max, order, ...(afterId === undefined ? {} : { afterId }) };
}

export type FieldValue = string | number;

export interface Page<T> {
  readonly items: T[];
  /** The Next-Range header value, or undefined on the last page (clients loop while it is present). */
  readonly nextRange: string | undefined;
}

function compare(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Coerces a range bound to the field's type, so `version ]9..` compares as a number. */
function bound(sample: FieldValue | undefined, raw: string): FieldValue {
  return typeof sample === 'number' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
}

export function paginate<T>(all: readonly T[], range: Range, valueOf: (item: T, field: string) => FieldValue): Page<T> {
  const sign = range.order === 'desc' ? -1 : 1;
  // Ties on the field are broken by id, so the order (and so every page boundary) is total.
  const sorted = [...all].sort(
    (a, b) => sign * (compare(valueOf(a, range.field), valueOf(b, range.field)) || compare(valueOf(a, 'id'), valueOf(b, 'id'))),
  );
  const sample = sorted[0] === undefined ? undefined : valueOf(sorted[0], range.field);
  const start = range.start === undefined ? undefined : bound(sample, range.start);
  const end = range.end === undefined ? undefined : bound(sample, range.end);
  const inRange = sorted.filter((item) => {
    const value = valueOf(item, range.field);
    if (start !== undefined) {
      const c = sign * compare(value, start);
      if (c < 0) return false;
      if (c === 0 && range.startExclusive && (range.afterId === undefined || sign * compare(valueOf(item, 'id'), range.afterId) <= 0)) return false;
    }
    if (end !== undefined && sign * compare(value, end) > 0) return false;
    return true;
  });
  const items = inRange.slice(0, range.max);
  const last = items[items.length - 1];
  const next = inRange[range.max];
  if (next === undefined || last === undefined) return { items, nextRange: undefined };
  const lastValue = valueOf(last, range.field);
  const orderPart = range.order === 'desc' ? ', order=desc' : '';
  const endPart = range.end === undefined ? '' : range.end;
  // Only when the next page starts with the same value does the header need the id to continue after.
  const tiePart = range.field !== 'id' && compare(valueOf(next, range.field), lastValue) === 0 ? `, after_id=${String(valueOf(last, 'id'))}` : '';
  return { items, nextRange: `${range.field} ]${String(lastValue)}..${endPart}; max=${range.max}${orderPart}${tiePart}` };
}
