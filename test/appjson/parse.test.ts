// app.json: every shape Heroku documents is read, every bad one is refused with the field it is about.
import { describe, expect, it } from 'vitest';
import { forEnvironment, parseAppJson, type ParseResult } from '../../src/appjson/index.js';

function errorsOf(doc: unknown): readonly string[] {
  const result = parseAppJson(typeof doc === 'string' ? doc : JSON.stringify(doc));
  if (result.ok) throw new Error(`expected errors, got a manifest: ${JSON.stringify(result.manifest)}`);
  return result.errors;
}

function manifestOf(doc: unknown): Extract<ParseResult, { ok: true }>['manifest'] {
  const result = parseAppJson(JSON.stringify(doc));
  if (!result.ok) throw new Error(`expected a manifest, got ${result.errors.join('; ')}`);
  return result.manifest;
}

describe('app.json: good manifests', () => {
  it("reads Dev Center's example with every key", () => {
    const m = manifestOf({
      name: 'Small Sharp Tool',
      description: 'This app does one little thing, and does it well.',
      keywords: ['productivity', 'HTML5', 'scalpel'],
      website: 'https://small-sharp-tool.com/',
      repository: 'https://github.com/jane-doe/small-sharp-tool',
      logo: 'https://small-sharp-tool.com/logo.svg',
      success_url: '/welcome',
      scripts: { postdeploy: 'bundle exec rake bootstrap' },
      env: {
        SECRET_TOKEN: { description: 'A secret key for verifying the integrity of signed cookies.', generator: 'secret' },
        WEB_CONCURRENCY: { description: 'The number of processes to run.', value: '5' },
      },
      formation: { web: { quantity: 1, size: 'standard-1x' } },
      image: 'heroku/ruby',
      addons: ['openredis', { plan: 'mongolab:shared-single-small', as: 'MONGO' }, { plan: 'heroku-postgresql', options: { version: '9.5' } }],
      buildpacks: [{ url: 'https://github.com/stomita/heroku-buildpack-phantomjs' }],
      environments: { test: { scripts: { test: 'bundle exec rake test' } } },
      stack: 'heroku-24',
    });
    expect(m.name).toBe('Small Sharp Tool');
    expect(m.successUrl).toBe('/welcome');
    expect(m.env?.['SECRET_TOKEN']).toEqual({ description: 'A secret key for verifying the integrity of signed cookies.', generator: 'secret', required: true });
    expect(m.env?.['WEB_CONCURRENCY']?.value).toBe('5');
    expect(m.formation).toEqual({ web: { quantity: 1, size: 'standard-1x' } });
    expect(m.addons).toEqual([
      { plan: 'openredis' },
      { plan: 'mongolab:shared-single-small', as: 'MONGO' },
      { plan: 'heroku-postgresql', options: { version: '9.5' } },
    ]);
    expect(m.scripts).toEqual({ postdeploy: { command: 'bundle exec rake bootstrap' } });
    expect(m.environments?.test?.scripts?.['test']).toEqual({ command: 'bundle exec rake test' });
    expect(m.stack).toBe('heroku-24');
  });

  it('takes the string shorthand of an env var as its value', () => {
    expect(manifestOf({ env: { FOO: 'bar' } }).env).toEqual({ FOO: { value: 'bar', required: true } });
  });

  it('keeps keys Heroku does not define, as Heroku ignores them', () => {
    expect(manifestOf({ name: 'x-app', 'x-team': { owner: 'ops' }, cron: [1] }).extra).toEqual({ 'x-team': { owner: 'ops' }, cron: [1] });
  });

  it('reads the formation array form and lower-cases sizes', () => {
    expect(manifestOf({ formation: [{ process: 'web', quantity: 2, size: 'Standard-2X' }] }).formation).toEqual({ web: { quantity: 2, size: 'standard-2x' } });
  });

  it('takes a script as {command, size}', () => {
    expect(manifestOf({ scripts: { postdeploy: { command: 'rake db:seed', size: 'performance-m' } } }).scripts).toEqual({
      postdeploy: { command: 'rake db:seed', size: 'performance-m' },
    });
  });

  it('an empty object is a valid manifest', () => {
    expect(manifestOf({})).toEqual({ extra: {} });
  });

  it("an environment's keys take precedence over the top-level ones", () => {
    const m = manifestOf({
      env: { A: '1' },
      addons: ['heroku-postgresql'],
      scripts: { postdeploy: 'seed' },
      environments: { test: { addons: ['heroku-redis'], scripts: { test: 'npm test' } } },
    });
    const test = forEnvironment(m, 'test');
    expect(test.env).toEqual({ A: { value: '1', required: true } });
    expect(test.addons).toEqual([{ plan: 'heroku-redis' }]);
    expect(test.scripts).toEqual({ test: { command: 'npm test' } });
    expect(forEnvironment(m, 'review').addons).toEqual([{ plan: 'heroku-postgresql' }]);
  });
});

describe('app.json: bad manifests name the field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not JSON', '{"name": ', 'app.json: is not valid JSON'],
    ['an array', [], 'app.json: must be a JSON object'],
    ['a string', '"hello"', 'app.json: must be a JSON object'],
    ['null', 'null', 'app.json: must be a JSON object'],
    ['a numeric name', { name: 3 }, 'name: must be a string'],
    ['a long name', { name: 'x'.repeat(31) }, 'name: must be 30 characters or fewer'],
    ['a numeric description', { description: true }, 'description: must be a string'],
    ['keywords as a string', { keywords: 'a,b' }, 'keywords: must be an array of strings'],
    ['a numeric keyword', { keywords: ['a', 2] }, 'keywords[1]: must be a string'],
    ['success_url as a number', { success_url: 1 }, 'success_url: must be a string'],
    ['env as an array', { env: ['A'] }, 'env: must be an object'],
    ['an unknown generator', { env: { SECRET_KEY: { generator: 'uuid' } } }, 'env.SECRET_KEY.generator: must be "secret"'],
    ['a numeric env value', { env: { PORTS: 5 } }, 'env.PORTS: must be a string (the value)'],
    ['an env value that is a number', { env: { A: { value: 5 } } }, 'env.A.value: must be a string'],
    ['required as a string', { env: { A: { required: 'yes' } } }, 'env.A.required: must be true or false'],
    ['a bad var name', { env: { 'MY-VAR': 'x' } }, 'env.MY-VAR: is not a valid config var name'],
    ['a var name starting with a digit', { env: { '1A': 'x' } }, 'env.1A: is not a valid config var name'],
    ['formation as a string', { formation: 'web=1' }, 'formation: must be an object of process types'],
    ['a negative quantity', { formation: { web: { quantity: -1 } } }, 'formation.web.quantity: must be a whole number, 0 or more'],
    ['a fractional quantity', { formation: { web: { quantity: 1.5 } } }, 'formation.web.quantity: must be a whole number, 0 or more'],
    ['a string quantity', { formation: { web: { quantity: '2' } } }, 'formation.web.quantity: must be a whole number, 0 or more'],
    ['an unknown size', { formation: { web: { size: 'huge' } } }, 'formation.web.size: "huge" is not a dyno size'],
    ['a process type that is not a name', { formation: { 'web app': { quantity: 1 } } }, 'formation.web app: is not a valid process type name'],
    ['a formation entry that is a number', { formation: { web: 2 } }, 'formation.web: must be an object'],
    ['an array formation entry without process', { formation: [{ quantity: 1 }] }, 'formation[0].process: must be a string'],
    ['addons as an object', { addons: { pg: 'x' } }, 'addons: must be an array of add-on plans'],
    ['an add-on plan with spaces', { addons: ['heroku postgresql'] }, 'addons[0]: "heroku postgresql" is not an add-on plan'],
    ['an add-on without a plan', { addons: [{ as: 'DB' }] }, 'addons[0].plan: must be a string'],
    ['an add-on as a number', { addons: [42] }, 'addons[0]: must be a plan'],
    ['an add-on with a bad as', { addons: [{ plan: 'heroku-redis', as: 'my-cache' }] }, 'addons[0].as: must be a config var prefix'],
    ['add-on options as a string', { addons: [{ plan: 'heroku-postgresql', options: 'version=16' }] }, 'addons[0].options: must be an object'],
    ['buildpacks as strings', { buildpacks: ['heroku/nodejs'] }, 'buildpacks[0]: must be an object with a url'],
    ['a buildpack without url', { buildpacks: [{ name: 'heroku/nodejs' }] }, 'buildpacks[0].url: must be a string'],
    ['a blank buildpack url', { buildpacks: [{ url: ' ' }] }, 'buildpacks[0].url: must not be blank'],
    ['scripts as a string', { scripts: 'rake' }, 'scripts: must be an object'],
    ['a numeric script', { scripts: { postdeploy: 1 } }, 'scripts.postdeploy: must be a command'],
    ['a script object without command', { scripts: { postdeploy: { size: 'basic' } } }, 'scripts.postdeploy.command: must be a string'],
    ['a numeric stack', { stack: 24 }, 'stack: must be a string'],
    ['an unknown environment', { environments: { staging: {} } }, 'environments.staging: is not an environment (test, review or production)'],
    ['an environment that is a string', { environments: { test: 'x' } }, 'environments.test: must be an object'],
    ['a bad generator inside an environment', { environments: { review: { env: { K: { generator: 'x' } } } } }, 'environments.review.env.K.generator: must be "secret"'],
    ['a bad test script', { environments: { test: { scripts: { test: ['npm', 'test'] } } } }, 'environments.test.scripts.test: must be a command'],
  ];

  it.each(cases)('%s', (_what, doc, expected) => {
    const errors = errorsOf(doc);
    expect(errors.some((e) => e.startsWith(expected)), errors.join('\n')).toBe(true);
  });

  it('reports every problem, not just the first', () => {
    const errors = errorsOf({ name: 1, env: { A: { generator: 'x' } }, formation: { web: { quantity: -2 } } });
    expect(errors).toEqual(['env.A.generator: must be "secret"', 'formation.web.quantity: must be a whole number, 0 or more', 'name: must be a string']);
  });
});
