import { PassThrough, type Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectAuto, detectExplicit, type DetectHost } from '../../src/builds/detect.js';
import type { InstalledBuildpack } from '../../src/builds/workspace.js';

// Each buildpack's bin/detect, as the bundled ones behave: exit code, stdout (the language), stderr (why not).
type DetectScript = { code: number; stdout?: string; stderr?: string };

function host(scripts: Record<string, DetectScript>): DetectHost {
  return {
    buildDir: '/tmp/build_1',
    async capture(cmd: readonly string[], options: { stderr?: Writable } = {}) {
      const script = scripts[String(cmd[0])];
      if (!script) throw new Error(`unexpected command ${cmd.join(' ')}`);
      if (script.stderr !== undefined) options.stderr?.write(script.stderr);
      return { code: script.code, stdout: script.stdout ?? '' };
    },
  };
}

function buildpack(name: string): InstalledBuildpack {
  return { name, url: name, dir: `/buildpacks/${name}`, path: `/tmp/buildpacks/${name}` };
}

function output(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

const nodejs = buildpack('heroku-nodejs');
const python = buildpack('heroku-python');
const bundled = [nodejs, python];
const pythonApp = {
  [`${nodejs.path}/bin/detect`]: { code: 1, stderr: 'Node.js: no package.json at the root of the app\n' },
  [`${python.path}/bin/detect`]: { code: 0, stdout: 'Python\n' },
};

describe('auto-detection', () => {
  it("shows nothing of a buildpack that does not detect the app (a Python app never sees Node.js's reason)", async () => {
    const { out, text } = output();
    const detected = await detectAuto(host(pythonApp), bundled, out);
    expect(detected.language).toBe('Python');
    expect(text()).toBe('');
  });

  it('keeps what the detecting buildpack writes to stderr', async () => {
    const { out, text } = output();
    const scripts = { ...pythonApp, [`${python.path}/bin/detect`]: { code: 0, stdout: 'Python', stderr: 'note: using .python-version\n' } };
    await detectAuto(host(scripts), bundled, out);
    expect(text()).toBe('note: using .python-version\n');
  });

  it('when none detects: the no-language failure only, no buildpack reasons', async () => {
    const { out, text } = output();
    const scripts = {
      [`${nodejs.path}/bin/detect`]: { code: 1, stderr: 'Node.js: no package.json at the root of the app\n' },
      [`${python.path}/bin/detect`]: { code: 1, stderr: 'Python: no requirements.txt\n' },
    };
    await expect(detectAuto(host(scripts), bundled, out)).rejects.toThrow('No default language could be detected for this app.');
    expect(text()).toBe('');
  });
});

describe('explicit buildpacks', () => {
  it("a buildpack the app chose shows its reason for not detecting, then Heroku's line", async () => {
    const { out, text } = output();
    await expect(detectExplicit(host(pythonApp), [nodejs], out)).rejects.toThrow('failed to detect app with buildpack heroku-nodejs');
    expect(text()).toBe('Node.js: no package.json at the root of the app\n-----> App not compatible with buildpack: heroku-nodejs\n');
  });
});
