// Phase 2: each buildpack's bin/compile, in order. A later buildpack sources the `export` files of the ones
// before it (the multi-buildpack contract), so it can use the runtimes they installed. A Heroku CI build (BERTH_CI
// set) runs a buildpack's bin/test-compile instead where it has one, and keeps each buildpack that has a bin/test in
// the slug at .heroku-ci/buildpacks/<n>, so the test run can call `bin/test BUILD_DIR ENV_DIR` (Heroku CI's buildpack
// contract: heroku-workflows.md §4.3).
import type { Writable } from 'node:stream';
import { BuildFailure } from './failure.js';
import type { DetectedBuildpack } from './detect.js';
import { CACHE_DIR, ENV_DIR, type Workspace } from './workspace.js';

/** Where a CI build keeps its buildpacks that have a bin/test, in the build dir (so under /app in the slug). */
const CI_BUILDPACKS_DIR = '.heroku-ci/buildpacks';

const COMPILE = `
for export_file in "$@"; do
  if [ -f "$export_file" ]; then . "$export_file"; fi
done
phase=compile
if [ -n "$BERTH_CI" ] && [ -x "$BERTH_BUILDPACK/bin/test-compile" ]; then phase=test-compile; fi
"$BERTH_BUILDPACK/bin/$phase" "$BERTH_BUILD_DIR" "${CACHE_DIR}" "${ENV_DIR}" || exit $?
if [ -n "$BERTH_CI" ] && [ -x "$BERTH_BUILDPACK/bin/test" ]; then
  mkdir -p "$BERTH_BUILD_DIR/${CI_BUILDPACKS_DIR}" && cp -R "$BERTH_BUILDPACK" "$BERTH_BUILD_DIR/${CI_BUILDPACKS_DIR}/$BERTH_BUILDPACK_INDEX"
fi
`;

/** `ci`: a Heroku CI build (bin/test-compile, buildpacks with bin/test kept). */
export async function compile(
  workspace: Workspace,
  buildpacks: readonly DetectedBuildpack[],
  env: Readonly<Record<string, string>>,
  out: Writable,
  ci = false,
): Promise<void> {
  for (const [index, buildpack] of buildpacks.entries()) {
    if (index > 0) out.write(`-----> ${buildpack.language} app detected\n`);
    const exports = buildpacks.slice(0, index).map((earlier) => `${earlier.path}/export`);
    const code = await workspace.exec(['bash', '-c', COMPILE, 'compile', ...exports], {
      env: { ...env, BERTH_BUILDPACK: buildpack.path, BERTH_BUILD_DIR: workspace.buildDir, BERTH_BUILDPACK_INDEX: String(index + 1), ...(ci ? { BERTH_CI: '1' } : {}) },
      stdout: out,
      stderr: out,
    });
    if (code !== 0) {
      throw new BuildFailure([`Push rejected, failed to compile ${buildpack.language} app.`], { language: buildpack.language });
    }
  }
}
