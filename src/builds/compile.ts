// Phase 2: each buildpack's bin/compile, in order. A later buildpack sources the `export` files of the ones
// before it (the multi-buildpack contract), so it can use the runtimes they installed.
import type { Writable } from 'node:stream';
import { BuildFailure } from './failure.js';
import type { DetectedBuildpack } from './detect.js';
import { CACHE_DIR, ENV_DIR, type Workspace } from './workspace.js';

const COMPILE = `
for export_file in "$@"; do
  if [ -f "$export_file" ]; then . "$export_file"; fi
done
exec "$BERTH_BUILDPACK/bin/compile" "$BERTH_BUILD_DIR" "${CACHE_DIR}" "${ENV_DIR}"
`;

export async function compile(
  workspace: Workspace,
  buildpacks: readonly DetectedBuildpack[],
  env: Readonly<Record<string, string>>,
  out: Writable,
): Promise<void> {
  for (const [index, buildpack] of buildpacks.entries()) {
    if (index > 0) out.write(`-----> ${buildpack.language} app detected\n`);
    const exports = buildpacks.slice(0, index).map((earlier) => `${earlier.path}/export`);
    const code = await workspace.exec(['bash', '-c', COMPILE, 'compile', ...exports], {
      env: { ...env, BERTH_BUILDPACK: buildpack.path, BERTH_BUILD_DIR: workspace.buildDir },
      stdout: out,
      stderr: out,
    });
    if (code !== 0) {
      throw new BuildFailure([`Push rejected, failed to compile ${buildpack.language} app.`], { language: buildpack.language });
    }
  }
}
