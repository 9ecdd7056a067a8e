// Paging on a field whose values repeat (created_at has whole seconds): following Next-Range must send every item
// exactly once, as `heroku builds` and heroku-client follow it until it stops.
import { describe, expect, it } from 'vitest';
import { paginate, parseRange, type Page } from '../../src/api/range.js';

interface Item {
  readonly id: string;
  readonly created_at: string;
}

const FIELDS = ['created_at', 'id'];

/** Follows Next-Range from `header` to the end, as clients do. */
function follow(all: readonly Item[], header: string): { pages: string[][]; ids: string[] } {
  const pages: string[][] = [];
  let next: string | undefined = header;
  while (next !== undefined) {
    const page: Page<Item> = paginate(all, parseRange(next, FIELDS), (item: Item, field: string) => (field === 'id' ? item.id : item.created_at));
    pages.push(page.items.map((item) => item.id));
    next = page.nextRange;
    if (pages.length > 20) throw new Error('Next-Range never ends');
  }
  return { pages, ids: pages.flat() };
}

const at = (second: number) => `2026-12-01T15:20:${String(second).padStart(2, '0')}Z`;

describe('paging over repeated values', () => {
  it('three items in one second, two a page: all three are sent, none twice', () => {
    const all = [
      { id: 'a', created_at: at(1) },
      { id: 'b', created_at: at(1) },
      { id: 'c', created_at: at(1) },
    ];
    const { ids } = follow(all, 'created_at ..; max=2');
    expect([...ids].sort()).toEqual(['a', 'b', 'c']);
  });

  it('a tie across a page boundary moves to the page it started on; later pages continue after it', () => {
    const all = [
      { id: 'a', created_at: at(1) },
      { id: 'b', created_at: at(2) },
      { id: 'c', created_at: at(2) },
      { id: 'd', created_at: at(3) },
      { id: 'e', created_at: at(4) },
    ];
    expect(follow(all, 'created_at ..; max=2').pages).toEqual([['a', 'b', 'c'], ['d', 'e']]);
  });

  it('newest first too', () => {
    const all = [
      { id: 'a', created_at: at(1) },
      { id: 'b', created_at: at(2) },
      { id: 'c', created_at: at(2) },
      { id: 'd', created_at: at(3) },
    ];
    const { ids } = follow(all, 'created_at ..; max=1, order=desc');
    expect(ids).toHaveLength(4);
    expect(ids[0]).toBe('d');
    expect(ids.at(-1)).toBe('a');
  });

  it('unique values still page at exactly max', () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: String(i), created_at: at(i) }));
    expect(follow(all, 'created_at ..; max=2').pages).toEqual([['0', '1'], ['2', '3'], ['4']]);
  });
});
