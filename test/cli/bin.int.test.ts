// The built `berth` command runs as a program of its own (README: `alias berth="$PWD/dist/cli/main.js"`), from any
// directory, as package.json's `bin` promises.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BERTH_MAIN, REPO_ROOT } from '../support/daemon.js';

describe('the built berth command', () => {
  it("is package.json's bin, executable, with a node shebang", () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(resolve(REPO_ROOT, manifest.bin['berth'] ?? '')).toBe(resolve(BERTH_MAIN));
    expect(() => accessSync(BERTH_MAIN, constants.X_OK)).not.toThrow();
    // `env -S` passes node its flags (main.ts says which and why).
    expect(readFileSync(BERTH_MAIN, 'utf8').split('\n')[0]).toMatch(/^#!\/usr\/bin\/env (-S )?node( --[a-z-]+=\S+)*$/);
  });

  it('runs by its own path from another directory: --help', () => {
    const result = spawnSync(BERTH_MAIN, ['--help'], { cwd: mkdtempSync(join(tmpdir(), 'berth-bin-')), encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage: berth /);
    expect(result.stdout).toContain('git:remote');
  });
});
