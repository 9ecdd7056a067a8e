// The settings of `berth up --ephemeral` (issue 16): the timing preset, the caller's BERTH_* over it, a data dir of its
// own whatever BERTH_DATA says, and distinct free ports for those not given.
import { describe, expect, it } from 'vitest';
import { ephemeralSettings, isTimingPreset } from '../../src/cli/ephemeral.js';
import { loadSettings } from '../../src/settings.js';

describe('ephemeralSettings', () => {
  it('fast: short boot timeout, grace, cool-off and sampling; distinct free ports; the given data dir', async () => {
    const s = await ephemeralSettings({ BERTH_DATA: '/home/me/.local/share/berth' }, 'fast', '/tmp/berth-ephemeral-x');
    expect(s.dataDir).toBe('/tmp/berth-ephemeral-x');
    expect(s.bootTimeoutSeconds).toBe(10);
    expect(s.stopGraceSeconds).toBe(2);
    expect(s.crashCooloffSeconds).toEqual([1, 2, 4]);
    expect(s.memorySampleSeconds).toBe(2);
    const ports = [s.apiPort, s.apiTlsPort, s.rendezvousPort, s.routerPort, s.routerTlsPort];
    expect(new Set(ports).size).toBe(5);
    expect(ports.every((p) => p > 0)).toBe(true);
  });

  it('runs on the single engine even when the environment says BERTH_RUNTIME=swarm (as `berth setup --swarm` tells users)', async () => {
    const s = await ephemeralSettings({ BERTH_RUNTIME: 'swarm' }, 'fast', '/tmp/x');
    expect(s.runtime).toBe('docker');
  });

  it("heroku: Heroku's values; every BERTH_* the caller sets wins over the preset", async () => {
    const heroku = await ephemeralSettings({}, 'heroku', '/tmp/x');
    const defaults = loadSettings({});
    expect(heroku.bootTimeoutSeconds).toBe(defaults.bootTimeoutSeconds);
    expect(heroku.stopGraceSeconds).toBe(defaults.stopGraceSeconds);
    const fast = await ephemeralSettings({ BERTH_BOOT_TIMEOUT: '33', BERTH_API_PORT: '45678' }, 'fast', '/tmp/x');
    expect(fast.bootTimeoutSeconds).toBe(33);
    expect(fast.apiPort).toBe(45678);
    expect(fast.stopGraceSeconds).toBe(2);
  });

  it('knows its presets', () => {
    expect(isTimingPreset('fast')).toBe(true);
    expect(isTimingPreset('heroku')).toBe(true);
    expect(isTimingPreset('slow')).toBe(false);
    expect(isTimingPreset('toString')).toBe(false);
  });
});
