// What the teaching controls run inside a dyno: plain commands of the stack's run image (bash, python3), so the
// events they cause (a signal's death, frozen processes, memory use the kernel counts) are real ones.

/** Every process of the dyno but its init (PID 1) and this shell: `kill -<SIG> -1`, as the dyno manager's SIGTERM. */
export function killAll(signal: 'HUP' | 'INT' | 'KILL' | 'TERM' | 'STOP'): string[] {
  return ['bash', '-c', `kill -${signal} -1 2>/dev/null; true`];
}

/**
 * Holds memory above the quota for `holdSeconds` (the dyno manager's samples write R14), then grows past the R15
 * threshold, where the container's limit sits. The dyno's own processes are made the OOM killer's first choice
 * (oom_score_adj 1000, which a process may always raise), so the kernel kills the app, the container ends OOM-killed,
 * and the dyno manager writes R15 as on Heroku. Pages are written, not only reserved, so they count.
 */
const MEMORY_HOG = `
import os, sys, time
quota, r15, hold = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
me = os.getpid()
for pid in os.listdir('/proc'):
    if pid.isdigit() and int(pid) not in (1, me):
        try:
            with open('/proc/%s/oom_score_adj' % pid, 'w') as f:
                f.write('1000')
        except OSError:
            pass
chunk = 8 * 1024 * 1024
held = []
def grow(to):
    while len(held) * chunk < to:
        held.append(bytearray(b'\\x01') * chunk)
grow(quota + (r15 - quota) // 4)
time.sleep(hold)
grow(2 * r15)
time.sleep(3600)
`;

/** The marker in the hog's command line (the memory engine's tests match on it). */
export const MEMORY_HOG_MARKER = 'berth-chaos-memory';

export function memoryHog(quotaBytes: number, r15Bytes: number, holdSeconds: number): string[] {
  return ['python3', '-c', MEMORY_HOG, MEMORY_HOG_MARKER, String(quotaBytes), String(r15Bytes), holdSeconds.toFixed(3)];
}
