import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LocalCa } from './ca.js';

/**
 * Writes `<dataDir>/tls/ca-bundle.pem`: the local CA followed by the PEM file that
 * `NODE_EXTRA_CA_CERTS` currently names (if any, readable, and not this bundle itself), so that
 * `NODE_EXTRA_CA_CERTS=<bundle>` trusts the local CA without dropping the host's extra CAs.
 * Rewritten atomically, only when the content changes. Returns the bundle's path.
 */
export async function ensureCaBundle(
  dataDir: string,
  ca: LocalCa,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const bundlePath = join(dataDir, 'tls', 'ca-bundle.pem');
  const parts = [ca.certPem.trim()];
  const extra = env['NODE_EXTRA_CA_CERTS'];
  const current = await readFile(bundlePath, 'utf8').catch(() => undefined);
  if (extra !== undefined && extra !== '' && resolve(extra) !== resolve(bundlePath)) {
    const extraPem = await readFile(extra, 'utf8').catch(() => undefined);
    if (extraPem !== undefined && extraPem.includes('-----BEGIN CERTIFICATE-----')) {
      parts.push(extraPem.trim());
    }
  } else if (extra !== undefined && extra !== '' && current !== undefined) {
    // Run from a shell that already did `eval "$(berth env)"`: the host's CAs are the ones already in the bundle,
    // after the local CA. Keep them rather than shrinking the bundle to the local CA alone.
    const kept = current.trim().startsWith(ca.certPem.trim()) ? current.trim().slice(ca.certPem.trim().length).trim() : '';
    if (kept.includes('-----BEGIN CERTIFICATE-----')) parts.push(kept);
  }
  const content = `${parts.join('\n')}\n`;
  await mkdir(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  if (current !== content) {
    const tmp = `${bundlePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, bundlePath);
  }
  return bundlePath;
}
