// The API key: made on first start, kept in the data dir with mode 0600, read by the daemon and by `berth env`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function apiKeyPath(dataDir: string): string {
  return join(dataDir, 'api-key');
}

/** Returns the key, creating it once. Two racing callers converge on one key (write a temp file, then link). */
export async function ensureApiKey(dataDir: string): Promise<string> {
  const file = apiKeyPath(dataDir);
  const existing = await readKey(file);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  const key = await readKey(file);
  if (!key) throw new Error(`The API key file ${file} is empty; delete it to make a new key.`);
  return key;
}

async function readKey(file: string): Promise<string | undefined> {
  try {
    const key = (await readFile(file, 'utf8')).trim();
    return key === '' ? undefined : key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Secrets in URLs (source blobs, build and release output streams, log sessions) are compared in constant time, so
 * how long a wrong guess takes says nothing about how much of it was right. Both sides are hashed first:
 * timingSafeEqual needs equal lengths, and a length check would leak the length.
 */
export function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
