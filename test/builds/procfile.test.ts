import { describe, expect, it } from 'vitest';
import { mergeProcessTypes, parseProcfile, parseReleaseYaml } from '../../src/builds/index.js';

describe('Procfile', () => {
  it('reads types and commands, skipping comments and blank lines, with CRLF line ends', () => {
    const text = '# processes\r\nweb: node server.js\r\n\r\nworker:   node worker.js --queue=default\r\n';
    expect(parseProcfile(text)).toEqual({ web: 'node server.js', worker: 'node worker.js --queue=default' });
  });

  it('keeps shell operators and colons inside commands', () => {
    expect(parseProcfile('release: npm run migrate && echo done | tee /tmp/x\nweb:bundle exec puma -b tcp://0.0.0.0:$PORT')).toEqual({
      release: 'npm run migrate && echo done | tee /tmp/x',
      web: 'bundle exec puma -b tcp://0.0.0.0:$PORT',
    });
  });

  it.each([
    ['web: a\nweb: b', 'process type web is declared twice'],
    ['we b: x', 'invalid process type "we b"'],
    ['web.1: x', 'invalid process type "web.1"'],
    ['just a line', 'Procfile line 1 is not'],
    ['<<<<<<< HEAD\nweb: a', 'Procfile line 1 is not'],
    ['web:', 'process type web has no command'],
  ])('rejects %j', (text, message) => {
    expect(() => parseProcfile(text)).toThrow(message);
  });

  it('merges buildpack defaults under the Procfile, which wins per type', () => {
    expect(mergeProcessTypes({ web: 'node server.js' }, { web: 'npm start', console: 'node' })).toEqual({
      web: 'node server.js',
      console: 'node',
    });
  });
});

describe('bin/release YAML', () => {
  it('reads addons and default process types', () => {
    expect(parseReleaseYaml('---\naddons: []\ndefault_process_types:\n  web: npm start\n')).toEqual({
      addons: [],
      defaultProcessTypes: { web: 'npm start' },
      configVars: {},
    });
    expect(parseReleaseYaml('addons:\n  - heroku-postgresql\n').addons).toEqual(['heroku-postgresql']);
    expect(parseReleaseYaml('').defaultProcessTypes).toEqual({});
  });

  it.each([
    ['web: [unclosed', 'invalid YAML'],
    ['- a\n- b', 'must print a YAML map'],
    ['addons: heroku-postgresql', 'addons must be a list'],
    ['default_process_types: [web]', 'default_process_types must be a map'],
    ['default_process_types:\n  web: {x: 1}', 'default_process_types.web must be a string'],
  ])('rejects %j with a clear error', (text, message) => {
    expect(() => parseReleaseYaml(text)).toThrow(message);
  });
});
