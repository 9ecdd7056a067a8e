// Config var rules and the release description a change gets.
import type { ConfigVars } from '../contracts/records.js';
import { errors } from '../errors.js';

/** Names a POSIX shell can export: dynos and buildpacks receive config vars as environment variables. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ConfigChange {
  readonly set: Readonly<Record<string, string>>;
  readonly unset: readonly string[];
}

/**
 * Validates a PATCH body: an object whose values are strings (set) or null (remove). Numbers and booleans are
 * taken as their text, as Heroku does. Anything else is a 422 naming the key.
 */
export function parseConfigPatch(body: unknown): ConfigChange {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.invalidParams('Config vars must be a JSON object of names to string values (or null to remove).');
  }
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!NAME.test(key)) {
      throw errors.invalidParams(
        `Invalid config var name: ${JSON.stringify(key)}. Names must start with a letter or underscore and contain only letters, digits and underscores.`,
      );
    }
    if (value === null) unset.push(key);
    else if (typeof value === 'string') set[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') set[key] = String(value);
    else throw errors.invalidParams(`Config var ${key} must be a string or null.`);
  }
  return { set, unset };
}

export function applyConfigChange(current: ConfigVars, change: ConfigChange, maxBytes: number): ConfigVars {
  const next: Record<string, string> = { ...current };
  for (const key of change.unset) delete next[key];
  Object.assign(next, change.set);
  const size = Object.entries(next).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > maxBytes) {
    throw errors.invalidParams(
      `Config vars are too large: ${size} bytes of names and values, the limit is ${maxBytes} bytes.`,
    );
  }
  return next;
}

/** `Set FOO, BAR config vars`, `Remove FOO config vars`, as Heroku words them. */
export function describeConfigChange(change: ConfigChange): string {
  const setKeys = Object.keys(change.set);
  if (setKeys.length > 0 && change.unset.length > 0) {
    return `Set ${setKeys.join(', ')} and remove ${change.unset.join(', ')} config vars`;
  }
  if (setKeys.length > 0) return `Set ${setKeys.join(', ')} config vars`;
  return `Remove ${change.unset.join(', ')} config vars`;
}
