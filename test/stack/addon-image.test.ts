// The add-on image: built with a template Postgres cluster, and an image an older Berth built (no template) gets one
// as a layer of its own (no package install). The scripts themselves run in test/addons/addons.int.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../src/runtime/index.js';
import { MemoryRuntime } from '../../src/runtime/index.js';
import { ensureAddonImage } from '../../src/stack/index.js';

const RUN = 'berth/heroku-24:run';
const ADDONS = 'berth/heroku-24:addons';
const quiet = { step: () => () => undefined, info: () => undefined };
const dirs: string[] = [];

function setup(addonImage = ADDONS) {
  const dataDir = mkdtempSync(join(tmpdir(), 'addon-image-'));
  dirs.push(dataDir);
  const runtime = new MemoryRuntime({ images: [RUN] });
  const scripts: string[] = [];
  const images: string[] = [];
  runtime.script(
    (spec: ContainerSpec) => spec.cmd?.[0] === 'bash',
    (proc) => {
      scripts.push(proc.spec.cmd?.[2] ?? '');
      images.push(proc.spec.image);
    },
  );
  return { runtime, settings: { dataDir, addonImage, stackRunImage: RUN }, scripts, images };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ensureAddonImage', () => {
  it('builds the image with the packages and a template cluster, labelled with it', async () => {
    const { runtime, settings, scripts, images } = setup();
    await ensureAddonImage(settings, runtime, quiet);
    expect(images).toEqual([RUN]);
    expect(scripts[0]).toContain('apt-get install');
    expect(scripts[0]).toContain('initdb" -D "$T" -U postgres');
    expect((await runtime.imageInfo(ADDONS))?.labels).toMatchObject({ 'berth.addons.postgres-template': '1' });
  });

  it('adds the template to an image built without one, without installing packages again', async () => {
    const { runtime, settings, scripts, images } = setup();
    runtime.addImage(ADDONS, { labels: { 'berth.addons': 'postgresql,redis-server' } });
    await ensureAddonImage(settings, runtime, quiet);
    expect(images).toEqual([ADDONS]);
    expect(scripts[0]).not.toContain('apt-get');
    expect(scripts[0]).toContain('initdb');
    expect((await runtime.imageInfo(ADDONS))?.labels).toMatchObject({ 'berth.addons': 'postgresql,redis-server', 'berth.addons.postgres-template': '1' });
  });

  it('leaves an image with the template, and an image of the user\'s own, as they are', async () => {
    const current = setup();
    current.runtime.addImage(ADDONS, { labels: { 'berth.addons.postgres-template': '1' } });
    await ensureAddonImage(current.settings, current.runtime, quiet);
    expect(current.scripts).toEqual([]);

    const own = setup('example/addons:1');
    own.runtime.addImage('example/addons:1');
    await ensureAddonImage(own.settings, own.runtime, quiet);
    expect(own.scripts).toEqual([]);
  });
});
