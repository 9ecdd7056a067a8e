/**
 * A UUID-shaped id from a hash's hex digest, for records whose id must never change (catalogue entries, derived
 * users, certificates): the digest's first 32 hex digits in 8-4-4-4-12 groups, with the version nibble set.
 *
 * Two shapes have been issued, and ids already in clients' caches must stay what they were, so both remain:
 * - version 5 (name-based, as RFC 9562): the variant nibble keeps the digest's low two bits under `10`;
 * - version 4: the variant nibble is always `8` (how the first derived ids were written).
 */
export function uuidFromHex(hex: string, version: 4 | 5): string {
  const variant = version === 5 ? ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16) : '8';
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
