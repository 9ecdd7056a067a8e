// After a dyno stops: the files it wrote outside /tmp, from the engine's diff of its container (`berth doctor -a`).
// Heroku's advice (Dev Center "Ephemeral filesystem") is to keep scratch files under /tmp; what the engine itself
// writes into every container (/etc/hosts, /dev, /run) and Python's bytecode caches are no app's doing.
import { FINDINGS, type Finding } from './findings.js';

const NOT_THE_APPS = [/^\/tmp(\/|$)/, /^\/(dev|proc|sys|run)(\/|$)/, /^\/etc\/(hosts|hostname|resolv\.conf|mtab)$/, /\/__pycache__(\/|$)/, /\.pyc$/];

/** What one dyno's last stopped instance wrote (its container's diff: added or changed paths, parents included). */
export interface DynoWrites {
  readonly dyno: string;
  readonly paths: readonly string[];
}

export function checkDiskWrites(writes: readonly DynoWrites[]): Finding[] {
  return writes.flatMap(({ dyno, paths }) => {
    const apps = paths.filter((path) => !NOT_THE_APPS.some((pattern) => pattern.test(path)));
    // A directory the diff lists because something under it changed (the app's or not) is not news of its own.
    const files = apps.filter((path) => !paths.some((other) => other.startsWith(`${path}/`))).sort();
    return files.length === 0 ? [] : [FINDINGS.dynoWroteFiles(dyno, files)];
  });
}
