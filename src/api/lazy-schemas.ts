// Route schemas compiled on a route's first request rather than when the API boots. Compiling the validators of every
// route (Ajv generating and evaluating code for each) was the largest single cost of the daemon's start, about 150 ms
// of CPU, most of it for routes a throwaway Berth of a test suite never calls. A validator that is never called costs
// nothing now; one that is called compiles once (a few ms) and then is the very function Ajv would have made.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

type AjvPlugin = Extract<NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number], (...args: never[]) => unknown>;
type Ajv = Parameters<AjvPlugin>[0];
type Validate = ReturnType<Ajv['compile']>;

/** The compilations put off so far, per API instance (test/api/lazy-schemas.test.ts runs them all: every schema compiles). */
type PendingSchemas = Set<() => unknown>;
const pendingOf = new WeakMap<FastifyInstance, PendingSchemas>();

/** The Ajv plugin for Fastify's `ajv.plugins` making validators compile on first use; `attach` ties them to the API. */
export function lazySchemas(): { readonly plugin: AjvPlugin; attach(api: FastifyInstance): void } {
  const pending: PendingSchemas = new Set();
  return { plugin: compileOnFirstUse(pending), attach: (api) => void pendingOf.set(api, pending) };
}

/** Compiles every validator not compiled yet (they compile when the API has booted: after `ready()`); how many it did. */
export function compileAllSchemas(api: FastifyInstance): number {
  const pending = [...(pendingOf.get(api) ?? [])];
  for (const compile of pending) compile();
  return pending.length;
}

/** An Ajv plugin (Fastify's `ajv.plugins`) making `ajv.compile` hand back a validator that compiles on its first call. */
function compileOnFirstUse(pending: PendingSchemas): AjvPlugin {
  return (ajv: Ajv) => {
    const compile = ajv.compile.bind(ajv) as (schema: unknown) => Validate;
    const lazyCompile = (schema: unknown): Validate => {
      // A schema with an $id is registered in Ajv under it when compiled, and Fastify looks it up there: compile now.
      if (typeof schema === 'object' && schema !== null && '$id' in schema) return compile(schema);
      let validate: Validate | undefined;
      const now = (): Validate => {
        validate ??= compile(schema);
        pending.delete(now);
        return validate;
      };
      pending.add(now);
      const lazy = function (this: unknown, ...args: Parameters<Validate>): ReturnType<Validate> {
        const real = now();
        const valid = real.apply(this, args);
        lazy.errors = real.errors;
        return valid;
      } as unknown as Validate;
      // Fastify passes the parent object along (so Ajv may coerce a root value) when a validator has a schemaEnv.
      Object.defineProperty(lazy, 'schemaEnv', { get: () => now().schemaEnv });
      return lazy;
    };
    ajv.compile = lazyCompile as Ajv['compile'];
    return ajv;
  };
}
