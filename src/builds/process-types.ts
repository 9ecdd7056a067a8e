// Phase 3: the last buildpack's bin/release and the Procfile give the process types, Procfile first per type.
import type { Writable } from 'node:stream';
import type { ProcessTypes } from '../contracts/records.js';
import type { DetectedBuildpack } from './detect.js';
import { BuildFailure } from './failure.js';
import { mergeProcessTypes, parseProcfile, ProcfileError } from './procfile.js';
import { parseReleaseYaml, ReleaseYamlError, type BuildpackRelease } from './release-yaml.js';
import { CAPTURE_LIMIT_BYTES, type Workspace } from './workspace.js';

export interface DiscoveredProcesses {
  readonly processTypes: ProcessTypes;
  readonly release: BuildpackRelease;
}

async function buildpackRelease(workspace: Workspace, buildpack: DetectedBuildpack, out: Writable): Promise<BuildpackRelease> {
  const { code, stdout } = await workspace.capture(['bash', '-c', 'if [ -x "$1/bin/release" ]; then exec "$1/bin/release" "$2"; fi', 'release', buildpack.path, workspace.buildDir], {
    stderr: out,
    what: `The output of ${buildpack.name}'s bin/release`,
  });
  if (code !== 0) throw new BuildFailure([`Buildpack ${buildpack.name}: bin/release exited with status ${code}.`]);
  try {
    return parseReleaseYaml(stdout);
  } catch (error) {
    if (error instanceof ReleaseYamlError) throw new BuildFailure([`Buildpack ${buildpack.name}: ${error.message}`]);
    throw error;
  }
}

async function readProcfile(workspace: Workspace): Promise<string | undefined> {
  // `head` keeps a huge Procfile in the container: one byte over the cap is enough to refuse it.
  const { code, stdout } = await workspace.capture(
    ['bash', '-c', `if [ -f "$1/Procfile" ]; then head -c ${CAPTURE_LIMIT_BYTES + 1} "$1/Procfile"; else exit 3; fi`, 'procfile', workspace.buildDir],
    { what: 'The Procfile' },
  );
  if (code === 3) return undefined;
  if (code !== 0) throw new BuildFailure(['The Procfile could not be read.']);
  return stdout;
}

function names(types: ProcessTypes): string {
  const list = Object.keys(types).sort();
  return list.length === 0 ? '(none)' : list.join(', ');
}

export async function discoverProcessTypes(workspace: Workspace, buildpacks: readonly DetectedBuildpack[], out: Writable): Promise<DiscoveredProcesses> {
  const last = buildpacks[buildpacks.length - 1] as DetectedBuildpack;
  const release = await buildpackRelease(workspace, last, out);
  out.write('-----> Discovering process types\n');
  const text = await readProcfile(workspace);
  let procfile: ProcessTypes = {};
  if (text !== undefined) {
    try {
      procfile = parseProcfile(text);
    } catch (error) {
      if (error instanceof ProcfileError) throw new BuildFailure([error.message]);
      throw error;
    }
  }
  out.write(`       Procfile declares types -> ${names(procfile)}\n`);
  const defaultsOnly = Object.fromEntries(Object.entries(release.defaultProcessTypes).filter(([type]) => !(type in procfile)));
  if (Object.keys(defaultsOnly).length > 0) out.write(`       Default types for buildpack -> ${names(defaultsOnly)}\n`);
  return { processTypes: mergeProcessTypes(procfile, release.defaultProcessTypes), release };
}
