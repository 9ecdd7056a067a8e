// Berth's tunables: Heroku's own values by default, BERTH_* overrides, and a clear refusal of a value that makes no
// sense (the daemon says which variable and what it got). Plus the `berth env` lines the heroku CLI is pointed with.
import { describe, expect, it } from 'vitest';
import { exportLines } from '../src/cli/environment.js';
import { apiUrl, gitHost, loadSettings, webUrl } from '../src/settings.js';

describe('settings', () => {
  it('defaults to Heroku’s values', () => {
    const s = loadSettings({});
    expect({
      buildTimeoutSeconds: s.buildTimeoutSeconds,
      bootTimeoutSeconds: s.bootTimeoutSeconds,
      stopGraceSeconds: s.stopGraceSeconds,
      crashCooloffSeconds: s.crashCooloffSeconds,
      cycleSeconds: s.cycleSeconds,
      releasePhaseTimeoutSeconds: s.releasePhaseTimeoutSeconds,
      retentionReleases: s.retentionReleases,
      retentionDays: s.retentionDays,
      logHistoryLines: s.logHistoryLines,
      logDrainsPerApp: s.logDrainsPerApp,
      logDrainBufferLines: s.logDrainBufferLines,
      routerRequestTimeoutMs: s.routerRequestTimeoutMs,
      routerIdleTimeoutMs: s.routerIdleTimeoutMs,
      routerConnectTimeoutMs: s.routerConnectTimeoutMs,
      routerBootTimeoutMs: s.routerBootTimeoutMs,
      configVarsMaxBytes: s.configVarsMaxBytes,
      stack: s.stack,
    }).toEqual({
      buildTimeoutSeconds: 25 * 60,
      bootTimeoutSeconds: 60,
      stopGraceSeconds: 30,
      crashCooloffSeconds: [20 * 60, 40 * 60, 60 * 60, 180 * 60, 320 * 60],
      cycleSeconds: 24 * 60 * 60,
      releasePhaseTimeoutSeconds: 60 * 60,
      retentionReleases: 20,
      retentionDays: 30,
      logHistoryLines: 1500,
      logDrainsPerApp: 5,
      logDrainBufferLines: 1024,
      routerRequestTimeoutMs: 30_000,
      routerIdleTimeoutMs: 55_000,
      routerConnectTimeoutMs: 5_000,
      routerBootTimeoutMs: 75_000,
      configVarsMaxBytes: 64 * 1024,
      stack: 'heroku-24',
    });
  });

  it('listens on loopback only by default', () => {
    expect(loadSettings({}).bindHost).toBe('127.0.0.1');
  });

  it('advertises loopback to dynos by default; BERTH_ADVERTISE_ADDRESS must be an IPv4 address', () => {
    expect(loadSettings({}).advertiseAddress).toBe('127.0.0.1');
    expect(loadSettings({ BERTH_ADVERTISE_ADDRESS: '127.0.0.9' }).advertiseAddress).toBe('127.0.0.9');
    for (const bad of ['berth.local', '127.0.0.256', '::1', '127.0.0']) {
      expect(() => loadSettings({ BERTH_ADVERTISE_ADDRESS: bad })).toThrow(`BERTH_ADVERTISE_ADDRESS must be an IPv4 address, got "${bad}"`);
    }
  });

  it('takes overrides from BERTH_* variables; an empty one means the default', () => {
    const s = loadSettings({ BERTH_BUILD_TIMEOUT: '90', BERTH_CRASH_COOLOFF: '2, 4,8', BERTH_AUTO_CREATE_APPS: 'off', BERTH_BOOT_TIMEOUT: '' });
    expect([s.buildTimeoutSeconds, s.crashCooloffSeconds, s.autoCreateApps, s.bootTimeoutSeconds]).toEqual([90, [2, 4, 8], false, 60]);
  });

  it.each([
    [{ BERTH_BUILD_TIMEOUT: 'soon' }, 'BERTH_BUILD_TIMEOUT must be a non-negative integer, got "soon"'],
    [{ BERTH_STOP_GRACE: '-1' }, 'BERTH_STOP_GRACE must be a non-negative integer, got "-1"'],
    [{ BERTH_BOOT_TIMEOUT: '1.5' }, 'BERTH_BOOT_TIMEOUT must be a non-negative integer, got "1.5"'],
    [{ BERTH_AUTO_CREATE_APPS: 'maybe' }, 'BERTH_AUTO_CREATE_APPS must be true or false, got "maybe"'],
    [{ BERTH_CRASH_COOLOFF: '2,x' }, 'BERTH_CRASH_COOLOFF must be a comma-separated list of whole seconds, got "2,x"'],
  ])('refuses %j: %s', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });

  it.each([['1'], ['true'], ['YES'], ['on']])('%j turns a switch on', (value) => {
    expect(loadSettings({ BERTH_AUTO_CREATE_APPS: value }).autoCreateApps).toBe(true);
  });

  it('caps the slug gzip level at 9', () => {
    expect(loadSettings({ BERTH_SLUG_COMPRESSION_LEVEL: '12' }).slugCompressionLevel).toBe(9);
  });

  it('bounds builds and router connections by default; at least one build runs at a time', () => {
    const s = loadSettings({});
    expect(s.buildsConcurrency).toBeGreaterThanOrEqual(2);
    expect([s.buildMemoryMb, s.buildPidsLimit, s.routerMaxConnections]).toEqual([4096, 4096, 10_000]);
    expect(loadSettings({ BERTH_BUILDS_CONCURRENCY: '0' }).buildsConcurrency).toBe(1);
    expect(loadSettings({ BERTH_BUILDS_CONCURRENCY: '3' }).buildsConcurrency).toBe(3);
  });

  it('the engine is BERTH_DOCKER_HOST, else DOCKER_HOST, else the default socket', () => {
    expect(loadSettings({ BERTH_DOCKER_HOST: 'unix:///a.sock', DOCKER_HOST: 'unix:///b.sock' }).dockerHost).toBe('unix:///a.sock');
    expect(loadSettings({ DOCKER_HOST: 'unix:///b.sock' }).dockerHost).toBe('unix:///b.sock');
    expect(loadSettings({}).dockerHost).toBeUndefined();
  });

  it('the runtime is docker unless BERTH_RUNTIME=swarm; the swarm settings default to what `berth setup --swarm` starts', () => {
    expect(loadSettings({}).runtime).toBe('docker');
    const s = loadSettings({ BERTH_RUNTIME: 'swarm', BERTH_DATA: '/srv/berth' });
    expect([s.runtime, s.swarmManager, s.swarmAddress, s.swarmRegistry, s.swarmEngines]).toEqual([
      'swarm',
      'unix:///srv/berth/swarm/manager/docker.sock',
      '127.0.0.101',
      '127.0.0.101:5000',
      '127.0.0.101=unix:///srv/berth/swarm/manager/docker.sock',
    ]);
    expect(() => loadSettings({ BERTH_RUNTIME: 'kubernetes' })).toThrow('BERTH_RUNTIME must be docker or swarm, got "kubernetes"');
  });

  it('derives the API URL, the git host and an app’s web URL from the ports', () => {
    const s = loadSettings({ BERTH_API_PORT: '6100', BERTH_API_TLS_PORT: '6101', BERTH_ROUTER_PORT: '6000' });
    expect([apiUrl(s), gitHost(s), webUrl(s, 'demo')]).toEqual(['http://127.0.0.1:6100', '127.0.0.1:6101', 'http://demo.localhost:6000/']);
  });
});

describe('berth env', () => {
  it('prints one export a line, single-quoted, with quotes inside escaped for the shell', () => {
    expect(exportLines([
      ['HEROKU_HOST', 'http://127.0.0.1:5100'],
      ['ODD', "it's"],
    ])).toBe("export HEROKU_HOST='http://127.0.0.1:5100'\nexport ODD='it'\\''s'");
  });
});
