// What the classic `docker build` does with a Dockerfile, as far as the port reports it, for the memory engine:
// stages and `--target`, ARG and build args, LABEL, ENV, CMD and ENTRYPOINT, `Step n/m` lines, and a RUN that fails
// (`RUN exit 3`, `RUN false`) failing the build with Docker's words. Other RUNs succeed without doing anything.
import { dockerfileInstructions } from '../dockerfile.js';
import { ImageBuildError } from '../port.js';

export interface StageBase {
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
}

export interface BuiltStage extends StageBase {
  /** The image (by name) the first stage built on, whose files the result keeps; undefined for `scratch`. */
  readonly from: string | undefined;
}

function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? '');
}

/** `["a", "b"]` (exec form) or text (shell form, run by `/bin/sh -c`). */
function commandForm(args: string): string[] {
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // Not JSON: Docker runs it as shell text.
    }
  }
  return ['/bin/sh', '-c', args];
}

/** `a=b "c d"=e` pairs (LABEL, ENV); the legacy `ENV name value` too. */
function pairs(args: string, vars: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy) return { [legacy[1] as string]: substitute(legacy[2] as string, vars) };
  for (const match of args.matchAll(/("[^"]*"|[^\s=]+)=("[^"]*"|\S*)/g)) {
    out[(match[1] as string).replace(/^"|"$/g, '')] = substitute((match[2] as string).replace(/^"|"$/g, ''), vars);
  }
  return out;
}

/**
 * Runs the Dockerfile's instructions up to `target` (or the last stage). `base(ref)` answers what an image the engine
 * has offers, or undefined when it has none. `say` gets the build output.
 */
export function buildStages(
  dockerfile: string,
  options: { target?: string | undefined; buildArgs: Readonly<Record<string, string>>; base: (ref: string) => StageBase | undefined; say: (text: string) => void },
): BuiltStage {
  const all = dockerfileInstructions(dockerfile);
  if (!all.some((i) => i.keyword === 'FROM')) throw new ImageBuildError('the Dockerfile (Dockerfile) cannot be empty');
  const globals: Record<string, string> = {};
  const stages = new Map<string, BuiltStage>();
  let current: (BuiltStage & { labels: Record<string, string>; env: Record<string, string> }) | undefined;
  let currentName: string | undefined;
  let args: Record<string, string> = {};
  let step = 0;
  for (const instruction of all) {
    step += 1;
    options.say(`Step ${step}/${all.length} : ${instruction.keyword} ${instruction.args}\n`);
    const vars = { ...globals, ...args, ...current?.env };
    switch (instruction.keyword) {
      case 'FROM': {
        if (current !== undefined && currentName !== undefined) stages.set(currentName, current);
        if (current !== undefined && options.target !== undefined && currentName === options.target) return current;
        const [image = '', , name] = substitute(instruction.args, globals).split(/\s+/);
        const earlier = stages.get(image);
        const found: BuiltStage | undefined =
          earlier ?? (image === 'scratch' ? { labels: {}, env: {}, entrypoint: null, cmd: null, from: undefined } : baseOf(image, options.base));
        if (found === undefined) throw new ImageBuildError(`No such image: ${image}`);
        current = { ...found, labels: { ...found.labels }, env: { ...found.env } };
        args = {};
        currentName = name;
        break;
      }
      case 'ARG': {
        const [key = '', fallback] = instruction.args.split('=');
        const value = options.buildArgs[key] ?? fallback;
        if (current === undefined) {
          if (value !== undefined) globals[key] = value;
        } else {
          args[key] = value ?? globals[key] ?? '';
        }
        break;
      }
      case 'LABEL':
        Object.assign(need(current).labels, pairs(instruction.args, vars));
        break;
      case 'ENV':
        Object.assign(need(current).env, pairs(instruction.args, vars));
        break;
      case 'CMD':
        current = { ...need(current), cmd: commandForm(instruction.args) };
        break;
      case 'ENTRYPOINT':
        current = { ...need(current), entrypoint: commandForm(instruction.args), cmd: null };
        break;
      case 'RUN': {
        const failing = /^(?:exit\s+(\d+)|false)\s*$/.exec(instruction.args);
        if (failing) {
          throw new ImageBuildError(`The command '/bin/sh -c ${instruction.args}' returned a non-zero code: ${failing[1] ?? '1'}`);
        }
        break;
      }
      default:
        break;
    }
    options.say(` ---> ${step.toString(16).padStart(12, '0')}\n`);
  }
  const last = need(current);
  if (options.target !== undefined && currentName !== options.target) {
    throw new ImageBuildError(`failed to reach build target ${options.target} in Dockerfile`);
  }
  return last;
}

function baseOf(image: string, base: (ref: string) => StageBase | undefined): BuiltStage | undefined {
  const found = base(image);
  return found === undefined ? undefined : { ...found, from: image };
}

function need<T>(stage: T | undefined): T {
  if (stage === undefined) throw new ImageBuildError('no build stage in current context');
  return stage;
}
