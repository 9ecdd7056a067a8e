// The build container, scripted for the memory engine. The slug compiler runs every phase with `exec` in one
// container (builds/workspace.ts); the bundled buildpacks are bash, which the memory engine does not run, so this
// answers those execs as a buildpack would: bin/detect prints a language or fails, bin/compile prints lines, writes
// files into the build dir and exits, bin/release prints YAML. The shell one-liners that read `.buildpacks` and the
// Procfile are answered from the container's files, as bash would.
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { MemoryRuntime, ScriptedExec } from '../../src/runtime/index.js';
import type { MemoryFiles } from '../../src/runtime/memory/index.js';

/** What bin/compile sees: its build dir, the cache dir, its env, and the container's files. */
export interface CompileStep {
  readonly buildDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly files: MemoryFiles;
  readonly exec: ScriptedExec;
  print(line: string): void;
}

export interface FakeBuildpack {
  /** What bin/detect prints (it exits 0), or false: it exits 1 (not this app). Default: the key, capitalised. */
  readonly detect?: string | false | ((files: MemoryFiles, buildDir: string) => string | false);
  /** bin/compile; its return value is the exit status (none: 0). Default: prints `       compiled`. */
  readonly compile?: (step: CompileStep) => Promise<number | void> | number | void;
  /** What bin/release prints (YAML). Default: nothing. */
  readonly release?: string;
  readonly releaseExit?: number;
}

/** Which fake a buildpack path in the container is: the first key the path's folder name contains. */
function fakeOf(buildpacks: Readonly<Record<string, FakeBuildpack>>, path: string): [string, FakeBuildpack] | undefined {
  const folder = path.replace(/\/bin\/[a-z]+$/, '').split('/').pop() ?? '';
  return Object.entries(buildpacks).find(([key]) => folder.includes(key));
}

/** Every exec a build makes, answered from `buildpacks` (keyed by a part of the buildpack's name: `nodejs`, `python`). */
export function scriptBuildpacks(engine: MemoryRuntime, buildpacks: Readonly<Record<string, FakeBuildpack>>): void {
  engine.onExec(
    (cmd) => /\/bin\/detect$/.test(cmd[0] ?? ''),
    (exec) => {
      const found = fakeOf(buildpacks, exec.cmd[0] ?? '');
      if (!found) return 1;
      const [key, bp] = found;
      const buildDir = exec.cmd[1] ?? '';
      const said = typeof bp.detect === 'function' ? bp.detect(exec.files, buildDir) : (bp.detect ?? key.charAt(0).toUpperCase() + key.slice(1));
      if (said === false) return 1;
      exec.print(said);
      return 0;
    },
  );
  engine.onExec(
    (cmd) => cmd[0] === 'bash' && cmd[3] === 'compile',
    async (exec) => {
      const found = fakeOf(buildpacks, exec.env['BERTH_BUILDPACK'] ?? '');
      if (!found) return 127;
      const step: CompileStep = { buildDir: exec.env['BERTH_BUILD_DIR'] ?? '', env: exec.env, files: exec.files, exec, print: (line) => exec.print(line) };
      if (found[1].compile === undefined) {
        step.print('       compiled');
        return 0;
      }
      return found[1].compile(step);
    },
  );
  engine.onExec(
    (cmd) => cmd[0] === 'bash' && cmd[3] === 'release',
    (exec) => {
      const found = fakeOf(buildpacks, exec.cmd[4] ?? '');
      if (found?.[1].release !== undefined) exec.write(found[1].release);
      return found?.[1].releaseExit ?? 0;
    },
  );
  engine.onExec(
    (cmd) => cmd[0] === 'bash' && cmd[3] === 'procfile',
    (exec) => {
      const text = exec.files.read(`${exec.cmd[4]}/Procfile`);
      if (text === undefined) return 3;
      exec.write(text);
      return 0;
    },
  );
  engine.onExec(
    (cmd) => cmd[0] === 'bash' && cmd[3] === 'bp',
    (exec) => {
      const text = exec.files.read(`${exec.cmd[4]}/.buildpacks`);
      if (text !== undefined) exec.write(text);
      return 0;
    },
  );
}

/** A gzipped source tarball of `files` (path → content), as `heroku builds:create` uploads it. */
export function sourceTarball(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name, mode: 0o644 }, content);
  tar.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve(gzipSync(Buffer.concat(chunks))));
    tar.on('error', reject);
  });
}

/** `SHA256:<hex>` of a tarball, as `source_blob.checksum` carries it. */
export function checksumOf(data: Buffer): string {
  return `SHA256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A classic buildpack on this machine (bin/detect and bin/compile, executable) under `parent`, for explicit-buildpack builds. */
export async function localBuildpack(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(join(dir, 'bin'), { recursive: true });
  for (const script of ['detect', 'compile']) {
    await writeFile(join(dir, 'bin', script), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'bin', script), 0o755);
  }
  return dir;
}
