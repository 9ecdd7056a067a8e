// The Procfile: `<process type>: <command>` per line. Commands run through `bash -c` at dyno start, so `&&`,
// pipes and quotes in them work as on Heroku.
export type ProcessTypes = Readonly<Record<string, string>>;

export class ProcfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcfileError';
  }
}

/** Heroku's process type names: letters, digits, `-` and `_`. */
const TYPE = /^[A-Za-z0-9_-]+$/;

export function parseProcfile(text: string): ProcessTypes {
  const types: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const at = `Procfile line ${index + 1}`;
    const colon = trimmed.indexOf(':');
    if (colon === -1) throw new ProcfileError(`${at} is not \`<process type>: <command>\`: ${JSON.stringify(trimmed)}`);
    const type = trimmed.slice(0, colon).trim();
    const command = trimmed.slice(colon + 1).trim();
    if (!TYPE.test(type)) {
      throw new ProcfileError(`${at}: invalid process type ${JSON.stringify(type)} (use letters, digits, - and _)`);
    }
    if (command === '') throw new ProcfileError(`${at}: process type ${type} has no command`);
    if (Object.hasOwn(types, type)) throw new ProcfileError(`${at}: process type ${type} is declared twice`);
    types[type] = command;
  });
  return types;
}

/** Buildpack defaults under the Procfile: the Procfile wins per type (herokuish gets this wrong; Heroku merges). */
export function mergeProcessTypes(procfile: ProcessTypes, defaults: ProcessTypes): ProcessTypes {
  return { ...defaults, ...procfile };
}
