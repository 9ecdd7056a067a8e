// The API key: made on first start, kept in the data dir with mode 0600, read by the daemon and by `berth env`; and
// how a request proves it holds the key: `Authorization: Bearer <key>` (the heroku CLI) or HTTP Basic with the key as
// the password and any user name (heroku-client sends `:<key>`, git sends `heroku:<key>`). The API and git share it.
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

function credentialFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space === -1) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

export function isAuthorized(header: string | undefined, apiKey: string): boolean {
  const given = credentialFrom(header);
  return given !== undefined && sameSecret(apiKey, given);
}

/**
 * Secrets in URLs (source blobs, build and release output streams, log sessions) and the API key are compared in
 * constant time, so how long a wrong guess takes says nothing about how much of it was right. Both sides are hashed
 * first: timingSafeEqual needs equal lengths, and a length check would leak the length.
 */
export function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
