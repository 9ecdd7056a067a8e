import { describe, expect, it } from 'vitest';
import { splitRef } from '../../src/runtime/index.js';

describe('image references', () => {
  it('splits repo and tag, keeping a registry port in the repo', () => {
    expect(splitRef('berth/heroku-24:run')).toEqual({ repo: 'berth/heroku-24', tag: 'run' });
    expect(splitRef('localhost:5000/berth/heroku-24')).toEqual({ repo: 'localhost:5000/berth/heroku-24', tag: 'latest' });
    expect(splitRef('localhost:5000/x:1')).toEqual({ repo: 'localhost:5000/x', tag: '1' });
  });
});
