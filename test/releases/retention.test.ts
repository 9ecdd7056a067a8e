import { describe, expect, it } from 'vitest';
import { expiringReleases } from '../../src/releases/index.js';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-11-26T00:00:00Z');

function releases(count: number, ageDays: (version: number) => number) {
  return Array.from({ length: count }, (_, i) => {
    const version = i + 1;
    return {
      id: `r${version}`,
      version,
      createdAt: new Date(now.getTime() - ageDays(version) * DAY).toISOString(),
      status: 'succeeded',
      current: version === count,
    };
  });
}

describe('release retention', () => {
  const policy = { keepReleases: 20, keepDays: 30 };

  it('expires releases more than 20 back AND older than 30 days', () => {
    const list = releases(25, () => 40);
    expect(expiringReleases(list, policy, now).map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps old releases within the last 20', () => {
    expect(expiringReleases(releases(20, () => 400), policy, now)).toEqual([]);
  });

  it('keeps releases more than 20 back that are younger than 30 days', () => {
    expect(expiringReleases(releases(30, () => 10), policy, now)).toEqual([]);
  });

  it('never expires the current release or one already expired', () => {
    const list = releases(25, () => 40).map((r) => (r.version === 1 ? { ...r, current: true } : r.version === 2 ? { ...r, status: 'expired' } : r));
    expect(expiringReleases(list, policy, now).map((r) => r.version).sort((a, b) => a - b)).toEqual([3, 4, 5]);
  });
});
