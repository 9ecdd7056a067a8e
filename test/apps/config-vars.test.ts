import { describe, expect, it } from 'vitest';
import { applyConfigChange, describeConfigChange, parseConfigPatch } from '../../src/apps/index.js';

describe('config var patches', () => {
  // Values that are not strings or null, and bodies that are not objects, are the API schema's (test/api/schemas.test.ts).
  it('splits sets from removals (null)', () => {
    expect(parseConfigPatch({ A: '1', B: null, C: '2' })).toEqual({ set: { A: '1', C: '2' }, unset: ['B'] });
  });

  it.each([['FOO-BAR'], ['1ABC'], ['A B'], [''], ['É']])('rejects the name %j with a 422', (name) => {
    expect(() => parseConfigPatch({ [name]: 'x' })).toThrowError(expect.objectContaining({ id: 'invalid_params', status: 422 }));
  });

  it('applies a change and answers the full map', () => {
    expect(applyConfigChange({ A: '1', B: '2' }, { set: { C: '3' }, unset: ['A'] }, 1000)).toEqual({ B: '2', C: '3' });
  });

  it('rejects a config set over the size limit', () => {
    expect(() => applyConfigChange({}, { set: { BIG: 'x'.repeat(100) }, unset: [] }, 50)).toThrow('Config vars are too large');
  });

  it("describes changes in Heroku's words", () => {
    expect(describeConfigChange({ set: { FOO: 'a', BAR: 'b' }, unset: [] })).toBe('Set FOO, BAR config vars');
    expect(describeConfigChange({ set: {}, unset: ['FOO'] })).toBe('Remove FOO config vars');
  });
});
