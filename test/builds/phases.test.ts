// The slug compiler's small pure rules a user meets: how `.buildpacks` is read, how a deploy is described in
// `heroku releases`, how the slug size is printed, and dyno sizes as `ps:scale` and `ps:type` take them.
import { describe, expect, it } from 'vitest';
import { parseBuildpacksFile } from '../../src/builds/detect.js';
import { deployDescription } from '../../src/builds/service.js';
import { slugSizeText } from '../../src/builds/slug.js';
import { isBerthError } from '../../src/errors.js';
import { dynoSize } from '../../src/dynos/sizes.js';

describe('.buildpacks', () => {
  it.each([
    ['heroku/nodejs\nheroku/python\n', ['heroku/nodejs', 'heroku/python']],
    ['heroku/nodejs\r\nheroku/python\r\n', ['heroku/nodejs', 'heroku/python']],
    ['# the stack\n\n  heroku/nodejs  \n', ['heroku/nodejs']],
    ['https://github.com/heroku/heroku-buildpack-nodejs#v250 # pinned\n', ['https://github.com/heroku/heroku-buildpack-nodejs']],
    ['', []],
  ])('%j → %j', (text, list) => {
    expect(parseBuildpacksFile(text)).toEqual(list);
  });
});

describe('deploy descriptions', () => {
  const slug = '0123abcd-0000-4000-8000-000000000000';
  it.each([
    ['a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0', 'Deploy a1b2c3d4'],
    ['A1B2C3D4E5F6', 'Deploy A1B2C3D4'],
    ['abc1234', 'Deploy abc1234'],
    ['0.0.1-SNAPSHOT', 'Deploy 0.0.1-SNAPSHOT'],
    [null, 'Deploy 0123abcd'],
    ['', 'Deploy 0123abcd'],
  ])('version %j → %s', (version, description) => {
    expect(deployDescription(version, slug)).toBe(description);
  });
});

describe('slug size', () => {
  it.each([
    [0, '0.0M'],
    [104_858, '0.1M'],
    [1024 * 1024, '1.0M'],
    [12.34 * 1024 * 1024, '12.3M'],
    [1024 * 1024 * 1024, '1024.0M'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(slugSizeText(bytes)).toBe(text);
  });
});

describe('dyno sizes', () => {
  it.each([
    ['Basic', 'Basic', 512, 1024, 256],
    ['basic', 'Basic', 512, 1024, 256],
    ['standard-2x', 'Standard-2X', 1024, 2048, 512],
    ['2X', 'Standard-2X', 1024, 2048, 512],
    ['1x', 'Standard-1X', 512, 1024, 256],
    ['Performance-L', 'Performance-L', 14336, 28672, 32768],
  ])('%s is %s: %d MB quota, R15 at %d MB, %d processes', (name, canonical, memoryMb, r15Mb, pidsLimit) => {
    expect(dynoSize(name)).toMatchObject({ name: canonical, memoryMb, r15Mb, pidsLimit });
  });

  it('an unknown size is a 422 listing the sizes there are', () => {
    try {
      dynoSize('Hobby-9000');
      expect.unreachable();
    } catch (error) {
      expect(isBerthError(error) && { status: error.status, message: error.message }).toEqual({
        status: 422,
        message: 'No such size as Hobby-9000. Use Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L.',
      });
    }
  });
});
