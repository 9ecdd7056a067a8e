// A dyno card's vitals as JSON: the same shape from `GET /berth/apps/{app}/dynos` and from the live stream's
// `event: vitals` (each reading of the R14 sampler, pushed as it is taken).
import type { DynoVitals } from '../dynos/index.js';

export function vitalsJson(dyno: DynoVitals) {
  return {
    name: dyno.name,
    state: dyno.state,
    memory_mb: dyno.memoryMb ?? null,
    memory_quota_mb: dyno.quotaMb,
    memory_r15_mb: dyno.r15Mb,
    cooloff_until: dyno.cooloffUntil?.toISOString() ?? null,
  };
}
