// Config var rules and the release description a change gets.
import type { ConfigVars } from '../contracts/records.js';
import { raise } from '../errors.js';
import { RELEASE_DESCRIPTIONS } from '../logs/index.js';

/** Names a POSIX shell can export: dynos and buildpacks receive config vars as environment variables. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ConfigChange {
  readonly set: Readonly<Record<string, string>>;
  readonly unset: readonly string[];
}

/** A PATCH of config vars: a string sets a var, `null` removes it (the API schema has turned numbers into text). */
export type ConfigPatch = Readonly<Record<string, string | null>>;

/** Splits a PATCH into what it sets and what it removes; a name a shell could not export is a 422 naming it. */
export function parseConfigPatch(patch: ConfigPatch): ConfigChange {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (!NAME.test(key)) raise('config_var_name_invalid', { name: JSON.stringify(key) });
    if (value === null) unset.push(key);
    else set[key] = value;
  }
  return { set, unset };
}

export function applyConfigChange(current: ConfigVars, change: ConfigChange, maxBytes: number): ConfigVars {
  const next: Record<string, string> = { ...current };
  for (const key of change.unset) delete next[key];
  Object.assign(next, change.set);
  const size = Object.entries(next).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > maxBytes) raise('config_vars_too_large', { size, limit: maxBytes });
  return next;
}

/** `Set FOO, BAR config vars`, `Remove FOO config vars`: the release a change makes. */
export function describeConfigChange(change: ConfigChange): string {
  return RELEASE_DESCRIPTIONS.configVars(Object.keys(change.set), change.unset);
}
