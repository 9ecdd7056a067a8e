// Secrets in URLs (source blobs, build and release output streams, log sessions) are compared in constant time, so
// how long a wrong guess takes says nothing about how much of it was right.
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` is `expected`. Both are hashed first: timingSafeEqual needs equal lengths, and lengths leak. */
export function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
