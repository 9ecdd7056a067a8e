// Phase 1: which buildpacks build this app. The app's own list wins (its buildpack installations, or the build
// request's), then a `.buildpacks` file, then the BUILDPACK_URL config var, then auto-detection over the bundled
// buildpacks in order.
import { PassThrough, type Writable } from 'node:stream';
import type { ResolvedBuildpack } from '../buildpacks/index.js';
import { BuildFailure } from './failure.js';
import type { InstalledBuildpack, Workspace } from './workspace.js';

export interface DetectedBuildpack extends InstalledBuildpack {
  /** What `bin/detect` printed: `Node.js`, `Python`. */
  readonly language: string;
}

/** `.buildpacks`: one reference per line; blank lines and `#` comments are skipped. */
export function parseBuildpacksFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** What detection needs of the build container: its build dir and a way to run a command there. */
export type DetectHost = Pick<Workspace, 'buildDir' | 'capture'>;

async function runDetect(workspace: DetectHost, buildpack: InstalledBuildpack, stderr: Writable): Promise<string | undefined> {
  const { code, stdout } = await workspace.capture([`${buildpack.path}/bin/detect`, workspace.buildDir], {
    stderr,
    what: `The output of ${buildpack.name}'s bin/detect`,
  });
  if (code !== 0) return undefined;
  return stdout.trim().split('\n')[0]?.trim() || buildpack.name;
}

export const NO_LANGUAGE_HINT = [
  '\t\t\tHINT: This occurs when Heroku cannot detect the buildpack to use for this application automatically.',
  '\t\t\tSee https://devcenter.heroku.com/articles/buildpacks',
];

/** Explicit buildpacks: every one must detect, as on Heroku, which shows a failing one's explanation (its stderr). */
export async function detectExplicit(
  workspace: DetectHost,
  installed: readonly InstalledBuildpack[],
  out: Writable,
): Promise<DetectedBuildpack[]> {
  const detected: DetectedBuildpack[] = [];
  for (const buildpack of installed) {
    const language = await runDetect(workspace, buildpack, out);
    if (language === undefined) {
      out.write(`-----> App not compatible with buildpack: ${buildpack.url}\n`);
      throw new BuildFailure([`Push rejected, failed to detect app with buildpack ${buildpack.url}.`]);
    }
    detected.push({ ...buildpack, language });
  }
  return detected;
}

/**
 * Auto-detection: the first bundled buildpack whose bin/detect says yes. A buildpack that says no is not the app's
 * buildpack, so what its detect printed (`Node.js: no package.json ...` for a Python app) is not shown, as on Heroku;
 * the one that detects keeps its stderr.
 */
export async function detectAuto(
  workspace: DetectHost,
  installed: readonly InstalledBuildpack[],
  out: Writable,
): Promise<DetectedBuildpack> {
  for (const buildpack of installed) {
    const stderr: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => stderr.push(chunk));
    const language = await runDetect(workspace, buildpack, sink);
    if (language === undefined) continue;
    if (stderr.length > 0) out.write(Buffer.concat(stderr));
    return { ...buildpack, language };
  }
  throw new BuildFailure(['No default language could be detected for this app.'], { raw: NO_LANGUAGE_HINT });
}
