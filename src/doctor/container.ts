// A container-stack app (heroku.yml, or a `Dockerfile.<type>` per process type as `heroku container:push` takes them):
// its process types as its images would run them. The image brings its own runtime and dependencies, so the checks of
// what a buildpack does (a default process type, a pinned runtime, the lockfile, pruned devDependencies, the slug's
// size) do not apply; how the processes start and what the source holds still do.
import { parse } from 'yaml';
import type { SourceTree } from './tree.js';

const DOCKERFILE = /^Dockerfile(?:\.([\w-]+))?$/;

/** heroku.yml, or per-type Dockerfiles with no Procfile: the app is built as images, not with buildpacks. */
export function isContainerApp(tree: SourceTree): boolean {
  if (tree.paths.includes('heroku.yml')) return true;
  return !tree.paths.includes('Procfile') && tree.paths.some((path) => DOCKERFILE.test(path));
}

function object(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The CMD an image of this Dockerfile runs: the last one in the target stage (or the last stage), as one command line. */
function dockerfileCommand(text: string | undefined, target: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const stages: Array<{ name: string | undefined; lines: string[] }> = [];
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const from = /^\s*FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1]?.toLowerCase(), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  const stage = (target === undefined ? undefined : stages.find((s) => s.name === target.toLowerCase())) ?? stages.at(-1);
  const cmd = stage?.lines
    .map((line) => /^\s*CMD\s+(.+?)\s*$/i.exec(line)?.[1])
    .filter((found): found is string => found !== undefined)
    .at(-1);
  if (cmd === undefined) return undefined;
  try {
    const words: unknown = JSON.parse(cmd);
    if (Array.isArray(words) && words.every((word) => typeof word === 'string')) return words.join(' ');
  } catch {
    // The shell form: the text itself.
  }
  return cmd;
}

/** Each process type's command (heroku.yml's `run`, else its image's CMD), and the release command as `release`. */
export function containerProcessTypes(tree: SourceTree): Record<string, string> {
  const types: Record<string, string> = {};
  const manifest = tree.text('heroku.yml');
  if (manifest === undefined) {
    for (const path of tree.paths) {
      const type = DOCKERFILE.exec(path)?.[1];
      const command = type === undefined ? undefined : dockerfileCommand(tree.text(path), undefined);
      if (type !== undefined && command !== undefined) types[type] = command;
    }
    return types;
  }
  let yml: Record<string, unknown>;
  try {
    yml = object(parse(manifest));
  } catch {
    return types; // The build reports a broken heroku.yml itself.
  }
  for (const [type, build] of Object.entries(object(object(yml['build'])['docker']))) {
    const spec = typeof build === 'string' ? { dockerfile: build } : object(build);
    const dockerfile = typeof spec['dockerfile'] === 'string' ? spec['dockerfile'].replace(/^\.\//, '') : undefined;
    const target = typeof spec['target'] === 'string' ? spec['target'] : undefined;
    const command = dockerfile === undefined ? undefined : dockerfileCommand(tree.text(dockerfile), target);
    if (command !== undefined) types[type] = command;
  }
  for (const [type, run] of Object.entries(object(yml['run']))) {
    const command = typeof run === 'string' ? run : object(run)['command'];
    if (typeof command === 'string') types[type] = command;
    else if (Array.isArray(command)) types[type] = command.filter((word) => typeof word === 'string').join(' ');
  }
  const release = object(yml['release'])['command'];
  if (Array.isArray(release)) types['release'] = release.filter((word) => typeof word === 'string').join(' ');
  else if (typeof release === 'string') types['release'] = release;
  return types;
}
