// Next-Range paging over a field that several items share (builds created in the same second): following
// Next-Range visits every item once, in order (issue 11: ties used to be skipped).
import { describe, expect, it } from 'vitest';
import { paginate, parseRange, type Page } from '../../src/api/range.js';

const FIELDS = ['created_at', 'id', 'updated_at'];
interface Item {
  readonly id: string;
  readonly created_at: string;
}
const items: Item[] = [
  { id: 'b3', created_at: '2026-12-01T10:00:00Z' },
  { id: 'a1', created_at: '2026-12-01T10:00:00Z' },
  { id: 'c5', created_at: '2026-12-01T10:00:01Z' },
  { id: 'a2', created_at: '2026-12-01T10:00:00Z' },
  { id: 'b4', created_at: '2026-12-01T10:00:01Z' },
  { id: 'a0', created_at: '2026-12-01T09:59:59Z' },
];
const valueOf = (item: Item, field: string) => (field === 'id' ? item.id : item.created_at);

function follow(first: string, pageSize: number): { ids: string[]; headers: string[] } {
  const ids: string[] = [];
  const headers: string[] = [];
  let header: string | undefined = first;
  for (let pages = 0; header !== undefined && pages < 20; pages += 1) {
    const page: Page<Item> = paginate(items, parseRange(header, FIELDS), valueOf);
    ids.push(...page.items.map((item) => item.id));
    header = page.nextRange;
    if (header !== undefined) headers.push(header);
  }
  return { ids, headers };
}

describe('Next-Range over shared values', () => {
  it.each([1, 2, 3, 4])('ascending, %i a page: every item once, ties in id order', (max) => {
    expect(follow(`created_at ..; max=${max}`, max).ids).toEqual(['a0', 'a1', 'a2', 'b3', 'b4', 'c5']);
  });

  it.each([1, 2, 4])('descending, %i a page: every item once', (max) => {
    expect(follow(`created_at ..; max=${max}, order=desc`, max).ids).toEqual(['c5', 'b4', 'b3', 'a2', 'a1', 'a0']);
  });

  it('names the last id only when the next page starts with the same value', () => {
    const { headers } = follow('created_at ..; max=2', 2);
    expect(headers).toEqual([
      'created_at ]2026-12-01T10:00:00Z..; max=2, after_id=a1',
      'created_at ]2026-12-01T10:00:00Z..; max=2',
    ]);
  });

  it('paging by a unique field is unchanged', () => {
    expect(follow('id ..; max=4', 4).headers).toEqual(['id ]b3..; max=4']);
  });
});
