/** A timestamp as the Platform API writes them: ISO-8601 UTC to the second (`2026-11-26T06:33:52Z`). */
export function apiTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
