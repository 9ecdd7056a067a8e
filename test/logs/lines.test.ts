// The app[api] and L-code catalogues against the lines quoted in heroku-runtime-behaviour.md, verbatim.
import { describe, expect, it } from 'vitest';
import { API_LINES, l10Message, l11Message, RELEASE_DESCRIPTIONS } from '../../src/logs/index.js';

const X = 'dev@example.test';

describe('app[api] lines', () => {
  it('app creation, deploy, release phase, config, rollback', () => {
    expect(API_LINES.release(RELEASE_DESCRIPTIONS.initial, X)).toBe(`Initial release by user ${X}`);
    expect(API_LINES.release(RELEASE_DESCRIPTIONS.logplex, X)).toBe(`Enable Logplex by user ${X}`);
    expect(API_LINES.releaseCreated(1, X)).toBe(`Release v1 created by user ${X}`);
    expect(API_LINES.release(RELEASE_DESCRIPTIONS.deploy('58d1fdd'), X)).toBe(`Deploy 58d1fdd by user ${X}`);
    expect(API_LINES.releasePhaseRunning(5, X)).toBe(`Running release v5 commands by user ${X}`);
    expect(API_LINES.releasePhaseFailed(3, X)).toBe(`Release v3 command failed by user ${X}`);
    expect(API_LINES.release(RELEASE_DESCRIPTIONS.configVars(['FOO', 'BAR'], []), X)).toBe(`Set FOO, BAR config vars by user ${X}`);
    expect(RELEASE_DESCRIPTIONS.configVars([], ['FOO'])).toBe('Remove FOO config vars');
    expect(API_LINES.release(RELEASE_DESCRIPTIONS.rollback(7), X)).toBe(`Rollback to v7 by user ${X}`);
  });

  it('builds: started by a user; the outcome without one', () => {
    expect(API_LINES.buildStarted(X)).toBe(`Build started by user ${X}`);
    expect(API_LINES.buildSucceeded()).toBe('Build succeeded');
    expect(API_LINES.buildFailed('https://x/builds/1')).toBe('Build failed -- check your build output: https://x/builds/1');
  });

  it('scale and one-off', () => {
    const formation = [
      { type: 'web', quantity: 1, size: 'Basic' },
      { type: 'worker', quantity: 0, size: 'Basic' },
    ];
    expect(API_LINES.scaled(formation, X)).toBe(`Scaled to web@1:Basic worker@0:Basic by user ${X}`);
    expect(API_LINES.oneOffStarted('rails db:migrate', X)).toBe(`Starting process with command \`rails db:migrate\` by user ${X}`);
  });
});

describe('L codes', () => {
  it('L10 and L11 as the reference quotes them', () => {
    expect(l10Message(500, Date.parse('2013-04-17T19:04:46Z'))).toBe('Error L10 (output buffer overflow): 500 messages dropped since 2013-04-17T19:04:46+00:00.');
    expect(l11Message(1101, Date.parse('2011-05-03T17:35:00Z'))).toBe(
      'Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2011-05-03T17:35:00+00:00.',
    );
  });
});
