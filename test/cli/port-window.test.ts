// The port windows of throwaway Berths (issue 16): Berths side by side on one machine never hand out the same dyno or
// add-on port, and a window is held only while its Berth lives.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralSettings } from '../../src/cli/ephemeral.js';
import { reservePortWindow, type PortWindow } from '../../src/cli/port-window.js';

const held: PortWindow[] = [];
afterEach(() => {
  for (const window of held.splice(0)) window.release();
});

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function range(window: PortWindow, kind: 'DYNO' | 'ADDON'): [number, number] {
  return [Number(window.settings[`BERTH_${kind}_PORT_MIN`]), Number(window.settings[`BERTH_${kind}_PORT_MAX`])];
}

describe('reservePortWindow', () => {
  it('gives two Berths disjoint dyno and add-on ranges inside the default ones, held by the port just below', async () => {
    const a = await reservePortWindow();
    const b = await reservePortWindow();
    held.push(a, b);
    const [aDynoMin, aDynoMax] = range(a, 'DYNO');
    const [bDynoMin, bDynoMax] = range(b, 'DYNO');
    expect(aDynoMax < bDynoMin || bDynoMax < aDynoMin).toBe(true);
    const [aAddonMin, aAddonMax] = range(a, 'ADDON');
    const [bAddonMin, bAddonMax] = range(b, 'ADDON');
    expect(aAddonMax < bAddonMin || bAddonMax < aAddonMin).toBe(true);
    for (const [min, max] of [range(a, 'DYNO'), range(b, 'DYNO')]) expect(min >= 20000 && max <= 29999 && max - min >= 50).toBe(true);
    for (const [min, max] of [range(a, 'ADDON'), range(b, 'ADDON')]) expect(min >= 30000 && max <= 32767 && max - min >= 20).toBe(true);

    expect(await bindable(aDynoMin - 1)).toBe(false);
    a.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await bindable(aDynoMin - 1)).toBe(true);
  });

  it("ephemeralSettings takes the window's ranges unless the caller set its own", async () => {
    const window = await reservePortWindow();
    held.push(window);
    const s = await ephemeralSettings({}, 'fast', '/tmp/x', window);
    expect([s.dynoPortMin, s.dynoPortMax]).toEqual(range(window, 'DYNO'));
    expect([s.addonPortMin, s.addonPortMax]).toEqual(range(window, 'ADDON'));
    const own = await ephemeralSettings({ BERTH_DYNO_PORT_MIN: '41000', BERTH_DYNO_PORT_MAX: '41010' }, 'fast', '/tmp/x', window);
    expect([own.dynoPortMin, own.dynoPortMax]).toEqual([41000, 41010]);
    expect([own.addonPortMin, own.addonPortMax]).toEqual(range(window, 'ADDON'));
  });
});
