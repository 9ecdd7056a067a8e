// The reaper of an ephemeral Berth (`node reap.js <data dir>`), started detached by `berth up --ephemeral` with its
// stdin a pipe from the daemon. It waits for that pipe to close, which happens however the daemon ends (a clean
// stop, a crash, SIGKILL), then removes the instance's containers, images and volumes and its data dir. After a clean
// stop there is nothing left to remove and it only checks. Its own process group: a Ctrl-C meant for the daemon does
// not reach it.
//
// The purge and the engine client it uses (dockerode) load only when the pipe closes: the reaper starts at the moment
// the harness gets its Berth and starts working, and would otherwise spend a few hundred ms of CPU beside it loading
// what a clean stop (the daemon purges, then kills the reaper) never needs.
import { loadSettings } from '../settings.js';

const dataDir = process.argv[2];
if (dataDir === undefined || dataDir === '') {
  process.stderr.write('usage: reap.js <data dir>\n');
  process.exit(2);
}
const settings = loadSettings();
let reaping = false;
const reap = () => {
  if (reaping) return;
  reaping = true;
  import('./ephemeral-purge.js')
    .then(({ purge }) => purge({ dockerHost: settings.dockerHost, dataDir }))
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
process.stdin.resume();
