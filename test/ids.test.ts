import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findService } from '../src/addons/index.js';
import { dynoSizeId } from '../src/api/shapes.js';
import { uuidFromHex } from '../src/ids.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// The ids below are what Berth issued before the helper was shared (computed with each caller's own former code):
// clients cache them, so they must never change.
describe('uuidFromHex', () => {
  it('keeps the version 5 ids of the catalogues (dyno sizes, add-on services, test cases)', () => {
    expect(dynoSizeId('standard-1x')).toBe('ab9fb546-89ba-57df-9ef9-d1b9acbd7389');
    expect(findService('heroku-postgresql')?.id).toBe('8b19919d-2f6e-5d18-893a-d1250ed0b78b');
    expect(uuidFromHex(sha1('node-1/3'), 5)).toBe('ad7311b4-efdb-51f7-a03f-789917964bb6');
  });

  it('keeps the version 4 ids of features, derived users and certificates (variant nibble always 8)', () => {
    expect(uuidFromHex(sha256('feature:preboot'), 4)).toBe('06dd623b-1f6a-432f-80e1-ad3defad5e1e');
    expect(uuidFromHex(sha256('user:ann@example.test'), 4)).toBe('f86df589-56e3-42ee-81d6-0cfd6db9fb4d');
  });

  it('sets the version nibble, and the variant bits of version 5 from the digest', () => {
    expect(uuidFromHex('f'.repeat(64), 5)).toBe('ffffffff-ffff-5fff-bfff-ffffffffffff');
    expect(uuidFromHex('f'.repeat(64), 4)).toBe('ffffffff-ffff-4fff-8fff-ffffffffffff');
    expect(uuidFromHex('0'.repeat(40), 5)).toBe('00000000-0000-5000-8000-000000000000');
  });
});
