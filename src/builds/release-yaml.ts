// `bin/release` prints YAML: `addons` (a list) and `default_process_types` (a map). `config_vars` is legacy.
import { parse } from 'yaml';

export interface BuildpackRelease {
  readonly addons: readonly string[];
  readonly defaultProcessTypes: Readonly<Record<string, string>>;
  readonly configVars: Readonly<Record<string, string>>;
}

export class ReleaseYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseYamlError';
  }
}

function stringMap(value: unknown, key: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ReleaseYamlError(`bin/release: ${key} must be a map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ReleaseYamlError(`bin/release: ${key}.${k} must be a string`);
    }
    out[k] = String(v);
  }
  return out;
}

export function parseReleaseYaml(text: string): BuildpackRelease {
  if (text.trim() === '') return { addons: [], defaultProcessTypes: {}, configVars: {} };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ReleaseYamlError(`bin/release printed invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { addons: [], defaultProcessTypes: {}, configVars: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ReleaseYamlError('bin/release must print a YAML map');
  const map = doc as Record<string, unknown>;
  const addons = map['addons'] ?? [];
  if (!Array.isArray(addons) || addons.some((a) => typeof a !== 'string')) {
    throw new ReleaseYamlError('bin/release: addons must be a list of add-on plan names');
  }
  return {
    addons: addons as string[],
    defaultProcessTypes: stringMap(map['default_process_types'], 'default_process_types'),
    configVars: stringMap(map['config_vars'], 'config_vars'),
  };
}
