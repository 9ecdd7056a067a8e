// `heroku run:inside <dyno> <command>` (`POST /apps/{app}/dynos/{dyno}`): a command in a dyno that is already
// running, attached through the rendezvous as `heroku run` is, run by the engine's exec in the dyno's container (so
// it sees the dyno's filesystem, environment and processes). Nothing new is listed in `heroku ps`; the dyno keeps
// running when the command ends. The CLI's `--exit-code` appends `echo "\uFFFF heroku-command-exit-status: $?"`
// to the command itself, so the exit status travels in the output.
import { randomBytes } from 'node:crypto';
import type { AppRecord, DynoRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import { API_LINES, type Logplex } from '../logs/index.js';
import type { Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { artifactOf } from './artifact.js';
import { insideCommand } from './launch.js';
import { greetClient } from './one-off.js';
import type { Rendezvous } from './rendezvous.js';

export interface InsideRequest {
  readonly command: string;
  readonly forceNoTty?: boolean;
  readonly env: Readonly<Record<string, string>>;
}

export interface InsideDeps {
  readonly runtime: Runtime;
  readonly store: Pick<Store, 'releases' | 'builds' | 'images'>;
  readonly logplex: Logplex;
  readonly rendezvous?: Rendezvous;
  readonly account: () => { readonly email: string };
}

/** How long the command waits for its client, as an attached `heroku run` does. */
const ATTACH_WAIT_SECONDS = 60;

/**
 * Starts waiting for the client of a command inside `dyno`; answers the dyno as the API shows it, with the secret
 * its `attach_url` carries. Whatever happens to the command, the dyno is not touched.
 */
export function attachInside(deps: InsideDeps, app: AppRecord, dyno: DynoRecord, request: InsideRequest): DynoRecord {
  const { rendezvous, logplex } = deps;
  const containerId = dyno.containerId;
  if (dyno.state !== 'up' || containerId === null || !rendezvous) raise('dyno_not_running', { dyno: dyno.name });
  const artifact = artifactOf(deps.store, deps.store.releases.getById(app.id, dyno.releaseId));
  const cmd = insideCommand(request.command, artifact?.kind !== 'image');
  const secret = randomBytes(24).toString('hex');
  // [U] Heroku's line for run:inside; Berth logs the command as `heroku run`'s.
  logplex.write(app.id, 'app', 'api', API_LINES.oneOffStarted(request.command, deps.account().email));
  const tty = request.forceNoTty !== true;
  void rendezvous
    .expect(secret, ATTACH_WAIT_SECONDS)
    .then(async (socket) => {
      if (!socket) return;
      try {
        const { stdin, dropped } = await greetClient(socket, tty);
        try {
          await deps.runtime.exec(containerId, { cmd, env: request.env, stdin, tty, stdout: socket, signal: dropped });
        } catch (error) {
          // The dyno went away under the command (or the engine failed): the client hears why, as with `heroku run`.
          socket.write(`${error instanceof Error ? error.message : String(error)}\r\n`);
        }
        socket.end();
      } catch {
        // The client went away while being greeted: nothing is left to tell it, and its socket must not stay open.
        socket.destroy();
      }
    })
    .catch(() => undefined);
  return { ...dyno, attachSecret: secret };
}
