// The labels every Berth container carries (DESIGN.md "Runtime conventions"). Reconciliation on
// start and `app.destroyed` cleanup find containers by these, and Berth removes only what has them.
import { randomBytes } from 'node:crypto';

/** `addon`: an add-on's database server (`berth.dyno` carries the add-on's name). */
export type ContainerRole = 'build' | 'release' | 'dyno' | 'run' | 'addon';

export interface BerthLabels {
  readonly app: string;
  readonly role: ContainerRole;
  /** Dyno name such as `web.1` or `run.4821`. */
  readonly dyno?: string;
  /** Release id (or version) the container runs. */
  readonly release?: string;
}

export const LABEL = {
  app: 'berth.app',
  role: 'berth.role',
  dyno: 'berth.dyno',
  release: 'berth.release',
} as const;

export function toDockerLabels(labels: BerthLabels): Record<string, string> {
  const out: Record<string, string> = { [LABEL.app]: labels.app, [LABEL.role]: labels.role };
  if (labels.dyno !== undefined) out[LABEL.dyno] = labels.dyno;
  if (labels.release !== undefined) out[LABEL.release] = labels.release;
  return out;
}

const ROLES: readonly string[] = ['build', 'release', 'dyno', 'run', 'addon'];

/** Reads Berth's labels back from a container; undefined when it is not one of ours. */
export function fromDockerLabels(labels: Record<string, string> | undefined): BerthLabels | undefined {
  const app = labels?.[LABEL.app];
  const role = labels?.[LABEL.role];
  if (app === undefined || role === undefined || !ROLES.includes(role)) return undefined;
  const dyno = labels?.[LABEL.dyno];
  const release = labels?.[LABEL.release];
  return {
    app,
    role: role as ContainerRole,
    ...(dyno !== undefined ? { dyno } : {}),
    ...(release !== undefined ? { release } : {}),
  };
}

/** Docker `label=` filters for the given subset of labels. */
export function labelFilters(match: Partial<BerthLabels>): string[] {
  const filters: string[] = [];
  for (const [key, name] of Object.entries(LABEL) as [keyof BerthLabels, string][]) {
    const value = match[key];
    filters.push(...(value === undefined ? [] : [`${name}=${value}`]));
  }
  // Always restrict to Berth's own containers.
  if (match.app === undefined) filters.push(LABEL.app);
  return filters;
}

/**
 * A container's name for people reading `docker ps`: `berth-<app>-<what>-<6 hex>` (`berth-shop-web.1-3fa2c1`,
 * `berth-shop-release.4821-…`, `berth-shop-build-…`). The suffix keeps every instance's name unique (a restarted dyno
 * is a new container while the old one stops); labels, not names, stay what Berth reads back.
 */
export function containerName(appName: string, what: string): string {
  const clean = (text: string) => text.replace(/[^a-zA-Z0-9_.-]+/g, '-');
  return `berth-${clean(appName)}-${clean(what)}-${randomBytes(3).toString('hex')}`;
}
