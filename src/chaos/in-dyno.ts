// What the teaching controls run inside a dyno: plain commands of a POSIX image (sh, kill, dd, sleep, cat) and one
// tiny static program, so the events they cause (a death, frozen processes, memory use the kernel counts) are real ones.

/** Every process of the dyno but its init (PID 1) and this shell: `kill -<SIG> -1`, as the dyno manager's SIGTERM. */
export function killAll(signal: 'HUP' | 'INT' | 'KILL' | 'TERM' | 'STOP'): string[] {
  return ['sh', '-c', `kill -${signal} -1 2>/dev/null; true`];
}

/**
 * Holds memory above the quota for `holdSeconds` (the dyno manager's samples write R14), then grows past the R15
 * threshold, where the container's limit sits. The hold starts once the container's cgroup counts the first buffer
 * (at most 30 s): on a busy machine filling it can take longer than a sped-up lesson clock's sample period. Only
 * `sh`, `dd` and `sleep` are needed (the heroku-24 stack and most container images have them; python may be missing): `dd` reads /dev/zero into a buffer of `bs` bytes, so its pages
 * are written and count as the kernel counts a process's memory, then blocks writing into a pipe nobody reads, which
 * holds the buffer. The dyno's own processes are made the OOM killer's first choice (oom_score_adj 1000, which a
 * process may always raise), so the kernel kills the app, the container ends OOM-killed, and the dyno manager writes
 * R15 as on Heroku.
 */
const MEMORY_HOG = `
for proc in /proc/[0-9]*; do
  pid=\${proc#/proc/}
  if [ "$pid" != 1 ] && [ "$pid" != $$ ]; then echo 1000 > "$proc/oom_score_adj"; fi
done 2>/dev/null
hold() { dd if=/dev/zero bs="$1" count=1 2>/dev/null | sleep 86400 & }
used() { cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || echo "$1"; }
hold "$1"
i=0
while [ "$(used "$1")" -lt "$1" ] && [ $i -lt 300 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i + 1)); done
sleep "$3" 2>/dev/null || sleep "\${3%.*}"
hold "$2"
wait
`;

/** The marker in the hog's command line (the memory engine's tests match on it). */
export const MEMORY_HOG_MARKER = 'berth-chaos-memory';

/** The hog's arguments: the bytes it holds first (above the quota), the bytes it adds after `holdSeconds`. */
export function memoryHog(quotaBytes: number, r15Bytes: number, holdSeconds: number): string[] {
  const first = quotaBytes + Math.floor((r15Bytes - quotaBytes) / 4);
  return ['sh', '-c', MEMORY_HOG, MEMORY_HOG_MARKER, String(first), String(r15Bytes), holdSeconds.toFixed(3)];
}

/**
 * `exit-with PID STATUS` (src/chaos/exit-with.s, a 616-byte static x86-64 program): attaches to PID with ptrace and
 * makes it call exit_group(STATUS), so the dyno's main process itself exits with a status of the learner's choice,
 * which no signal can leave (1, 0, 42...). Nothing of the image is needed but `sh` and `cat`.
 */
const EXIT_WITH = Buffer.from(
  [
    'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAAGgBAAAAAAAAAAAAAEAAOAABAEAABAADAAEAAAAHAAAAeAAAAAAA',
    'AAB4AEAAAAAAAHgAQAAAAAAA2QAAAAAAAADAAQAAAAAAAAEAAAAAAAAASIt8JBDotQAAAEmJxEiLfCQY6KgAAABJicW/EAAAADHS6IkA',
    'AAC4PQAAAEyJ50iNNaQAAAC6AAAAQEUx0g8FSIXAeF+/DAAAAEyNFZEAAADoWgAAAL8EAAAASIsVAAEAAEnHwg8FAADoQgAAAEyNFW0A',
    'AABJx0JQ5wAAAE2JanBJx0J4/////78NAAAA6B0AAAC/EQAAAEUx0ugQAAAAMf/rBb8BAAAAuDwAAAAPBbhlAAAATInmDwVIhcB45cMx',
    'wA+2D4PpMIP5CXcMSGvACkgByEj/x+vpwwAuc2hzdHJ0YWIALnRleHQALmJzcwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAsAAAABAAAABwAAAAAAAAB4AEAAAAAAAHgAAAAAAAAA2QAAAAAAAAAAAAAA',
    'AAAAAAEAAAAAAAAAAAAAAAAAAAARAAAACAAAAAMAAAAAAAAAUQFAAAAAAABRAQAAAAAAAOcAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAA',
    'AAAAAAAAAQAAAAMAAAAAAAAAAAAAAAAAAAAAAAAAUQEAAAAAAAAWAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAA==',
  ].join(''),
  'base64',
);

/** The marker in the crash command's line (the memory engine's tests match on it). */
export const EXIT_WITH_MARKER = 'berth-chaos-exit';

/**
 * Makes the dyno's main process (the init's child: /proc/1/task/1/children) exit with `status`: the program arrives
 * on stdin, is written to /tmp and run as the image's user, who owns the main process and holds the same
 * capabilities: the kernel lets it trace that process without CAP_SYS_PTRACE, which dynos do not get (with it, a dyno
 * could trace the engine's `runc init` of every `docker exec` into it). Where the kernel's Yama ptrace scope is 1
 * (Ubuntu's default) tracing a process that is not one's own child needs that capability, so there the control
 * answers 409 (chaos_exit_failed).
 */
export function exitWith(status: number): { cmd: string[]; program: Buffer } {
  const script = [
    'f=/tmp/.berth-exit-with.$$',
    // The kernel writes the children without a final line feed, so `read` reports the end of the file: not checked.
    'read -r pid rest < /proc/1/task/1/children',
    'cat > "$f" && chmod 700 "$f" && [ -n "$pid" ] && "$f" "$pid" "$1"',
    'code=$?; rm -f "$f"; exit $code',
  ].join('\n');
  return { cmd: ['sh', '-c', script, EXIT_WITH_MARKER, String(status)], program: EXIT_WITH };
}
