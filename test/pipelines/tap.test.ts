// TAP output into Heroku CI's test cases (S:test-case): numbers, descriptions, ok/not ok, SKIP/TODO, diagnostics.
import { describe, expect, it } from 'vitest';
import { parseTap } from '../../src/pipelines/tap.js';

describe('parseTap', () => {
  it('reads test lines, directives and diagnostics, and ignores what is not TAP', () => {
    const output = [
      'TAP version 13',
      '> npm test',
      '# Subtest: math',
      'ok 1 - adds',
      'not ok 2 - subtracts',
      '  ---',
      '  expected: 1',
      '  actual: 2',
      '  ...',
      'ok 3 divides # SKIP no divisor',
      'not ok 4 - rounds # TODO later',
      '# rounding is hard',
      'ok - multiplies',
      '1..5',
      '# tests 5',
      '# pass 2',
    ].join('\n');
    expect(parseTap(output)).toEqual([
      { number: 1, description: 'adds', passed: true, directive: '', diagnostic: '' },
      { number: 2, description: 'subtracts', passed: false, directive: '', diagnostic: 'expected: 1\nactual: 2' },
      { number: 3, description: 'divides', passed: true, directive: 'SKIP no divisor', diagnostic: '' },
      { number: 4, description: 'rounds', passed: false, directive: 'TODO later', diagnostic: 'rounding is hard' },
      { number: 5, description: 'multiplies', passed: true, directive: '', diagnostic: '' },
    ]);
  });

  it('finds nothing in output that is not TAP', () => {
    expect(parseTap('PASS src/app.test.js\nTests: 3 passed\nokay then\n')).toEqual([]);
  });
});
