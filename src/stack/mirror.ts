// Which Debian mirror debootstrap should use: the one the host's apt already trusts and reaches
// (DESIGN.md "Stack images"), read from deb822 `*.sources` files or the one-line `sources.list`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

interface Entry {
  readonly types: string[];
  readonly uris: string[];
  readonly suites: string[];
}

/** Entries of a deb822 `.sources` file; paragraphs with `Enabled: no` are left out. */
export function parseDeb822(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of paragraph.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^[ \t]/.test(line)) {
        // Continuation of a multi-line field; a lone "." stands for an empty line.
        if (current !== undefined && line.trim() !== '.') fields.set(current, `${fields.get(current) ?? ''} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):(.*)$/.exec(line);
      if (m === null) continue;
      current = (m[1] ?? '').toLowerCase();
      fields.set(current, (m[2] ?? '').trim());
    }
    if (/^(no|false|0)$/i.test(fields.get('enabled') ?? '')) continue;
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter((w) => w !== '');
    const uris = words('uris');
    if (uris.length === 0) continue;
    entries.push({ types: words('types'), uris, suites: words('suites') });
  }
  return entries;
}

/** Entries of a one-line-style `sources.list`: `deb [options] uri suite [component...]`. */
export function parseSourcesList(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m === null) continue;
    entries.push({ types: [m[1] ?? 'deb'], uris: [m[2] ?? ''], suites: [m[3] ?? ''] });
  }
  return entries;
}

/**
 * The main archive among the entries: a binary (`deb`) source that is not the security archive
 * and carries a plain release suite (not `-updates`/`-security`/`-backports`). undefined if none.
 */
export function pickMirror(entries: readonly Entry[]): string | undefined {
  const binary = entries.filter((e) => e.types.includes('deb'));
  const isMain = (e: Entry): boolean => e.suites.some((s) => !s.includes('-') && !s.includes('/'));
  const candidates = binary.flatMap((e) =>
    e.uris.map((uri) => ({ uri: uri.replace(/\/+$/, ''), main: isMain(e) })),
  ).filter((c) => /^https?:\/\//.test(c.uri) && !/security/.test(c.uri));
  return (candidates.find((c) => c.main) ?? candidates[0])?.uri;
}

/** The host's Debian mirror, from /etc/apt; falls back to deb.debian.org. */
export async function hostMirror(aptDir = '/etc/apt'): Promise<string> {
  const entries: Entry[] = [];
  const dir = join(aptDir, 'sources.list.d');
  let names: string[] = [];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    // no sources.list.d
  }
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (name.endsWith('.sources')) entries.push(...parseDeb822(text));
    else if (name.endsWith('.list')) entries.push(...parseSourcesList(text));
  }
  entries.push(...parseSourcesList(await readFile(join(aptDir, 'sources.list'), 'utf8').catch(() => '')));
  return pickMirror(entries) ?? FALLBACK_MIRROR;
}
