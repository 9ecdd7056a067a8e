import { describe, expect, it } from 'vitest';
import { paginate, parseRange } from '../../src/api/index.js';
import { BerthError } from '../../src/errors.js';

const RELEASE_FIELDS = ['version', 'id', 'created_at'];

describe('parseRange', () => {
  it.each([
    ['version ..; max=15, order=desc', { field: 'version', max: 15, order: 'desc', start: undefined, end: undefined }],
    ['version ..; max=10, order=desc', { field: 'version', max: 10, order: 'desc' }],
    ['version ..; order=desc,max=1', { field: 'version', max: 1, order: 'desc' }],
    ['id ..; max=1000;', { field: 'id', max: 1000, order: 'asc' }],
    ['created_at ..; max=10, order=desc', { field: 'created_at', max: 10, order: 'desc' }],
    ['version ]3..; max=2, order=desc', { field: 'version', start: '3', startExclusive: true, max: 2, order: 'desc' }],
    ['version 2..5', { field: 'version', start: '2', end: '5', startExclusive: false, max: 200 }],
    ['id ..', { field: 'id', max: 200, order: 'asc' }],
  ])('parses %j', (header, expected) => {
    expect(parseRange(header, RELEASE_FIELDS)).toMatchObject(expected);
  });

  it('treats an empty or missing header as the default field, ascending, 200 a page', () => {
    for (const header of ['', '   ', undefined]) {
      expect(parseRange(header, RELEASE_FIELDS)).toEqual({
        field: 'version', start: undefined, startExclusive: false, end: undefined, max: 200, order: 'asc',
      });
    }
  });

  it('caps max at 1000', () => {
    expect(parseRange('id ..; max=5000', RELEASE_FIELDS).max).toBe(1000);
  });

  it.each(['name ..', 'version ..; max=0', 'version ..; max=abc', 'version ..; order=sideways', 'version ..; bogus=1'])(
    'rejects %j with a Heroku-shaped error',
    (header) => {
      expect(() => parseRange(header, RELEASE_FIELDS)).toThrow(BerthError);
    },
  );
});

describe('paginate', () => {
  const items = [1, 2, 3, 4, 5].map((version) => ({ version }));
  const valueOf = (item: { version: number }) => item.version;

  it('answers the last page without Next-Range', () => {
    const page = paginate(items, parseRange('version ..; max=10', RELEASE_FIELDS), valueOf);
    expect(page.items.map(valueOf)).toEqual([1, 2, 3, 4, 5]);
    expect(page.nextRange).toBeUndefined();
  });

  it('honours order=desc and max, and Next-Range continues where the page stopped', () => {
    const first = paginate(items, parseRange('version ..; max=2, order=desc', RELEASE_FIELDS), valueOf);
    expect(first.items.map(valueOf)).toEqual([5, 4]);
    expect(first.nextRange).toBe('version ]4..; max=2, order=desc');
    const second = paginate(items, parseRange(first.nextRange, RELEASE_FIELDS), valueOf);
    expect(second.items.map(valueOf)).toEqual([3, 2]);
    const third = paginate(items, parseRange(second.nextRange, RELEASE_FIELDS), valueOf);
    expect(third.items.map(valueOf)).toEqual([1]);
    expect(third.nextRange).toBeUndefined();
  });

  it('compares numeric fields as numbers (v10 after v9)', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ version: i + 1 }));
    const page = paginate(many, parseRange('version ]9..; max=5', RELEASE_FIELDS), valueOf);
    expect(page.items.map(valueOf)).toEqual([10, 11, 12]);
  });

  it('keeps the end of the range in Next-Range', () => {
    const first = paginate(items, parseRange('version 1..4; max=2', RELEASE_FIELDS), valueOf);
    expect(first.nextRange).toBe('version ]2..4; max=2');
    const second = paginate(items, parseRange(first.nextRange, RELEASE_FIELDS), valueOf);
    expect(second.items.map(valueOf)).toEqual([3, 4]);
    expect(second.nextRange).toBeUndefined();
  });

  it('bounds by an inclusive start and end', () => {
    const page = paginate(items, parseRange('version 2..4', RELEASE_FIELDS), valueOf);
    expect(page.items.map(valueOf)).toEqual([2, 3, 4]);
  });
});
