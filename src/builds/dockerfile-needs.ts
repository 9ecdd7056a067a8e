// What a Dockerfile will ask of the engine beyond its context, read before the build starts: the images its FROM
// lines name (an offline engine must already have them: a pull would fail only after a long wait), and the URLs its
// ADD lines fetch (network at build time). Pure.
import { dockerfileInstructions } from '../runtime/index.js';

export interface DockerfileNeeds {
  /** Images named by FROM, in order, without earlier stages and `scratch`. */
  readonly images: readonly string[];
  /** FROM lines whose image depends on an ARG that has no value. */
  readonly unresolved: readonly string[];
  /** URLs that ADD would download. */
  readonly urls: readonly string[];
}

function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? whole);
}

/** The words of an instruction's arguments without its `--flag=value` options. */
function words(args: string): string[] {
  return args.split(/\s+/).filter((word) => word !== '' && !word.startsWith('--'));
}

export function dockerfileNeeds(text: string, buildArgs: Readonly<Record<string, string>>): DockerfileNeeds {
  const globals: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  const unresolved: string[] = [];
  const urls: string[] = [];
  let seenFrom = false;
  for (const { keyword, args } of dockerfileInstructions(text)) {
    if (keyword === 'ARG' && !seenFrom) {
      const [name = '', fallback] = args.split('=');
      const value = buildArgs[name] ?? fallback;
      if (value !== undefined) globals[name] = value.replace(/^"(.*)"$/, '$1');
    } else if (keyword === 'FROM') {
      seenFrom = true;
      const [raw = '', as, alias] = words(args);
      const image = substitute(raw, globals);
      if (as?.toUpperCase() === 'AS' && alias !== undefined) stages.add(alias.toLowerCase());
      if (image.includes('$')) unresolved.push(`FROM ${args}`);
      else if (!stages.has(image.toLowerCase()) && image !== 'scratch' && !images.includes(image)) images.push(image);
    } else if (keyword === 'ADD') {
      // The last word is the destination; JSON form (`ADD ["a", "b"]`) is read the same way.
      const sources = words(args.replace(/^\[|\]$/g, '').replace(/[",]/g, ' ')).slice(0, -1);
      urls.push(...sources.filter((source) => /^https?:\/\//i.test(source)));
    }
  }
  return { images, unresolved, urls };
}
