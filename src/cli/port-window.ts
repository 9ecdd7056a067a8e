// The dyno and add-on port ranges of a throwaway Berth. Dynos and add-on servers listen on the host's network, each
// Berth handing out $PORTs from its own pool; two Berths drawing from the same range would each see a port free
// before the other's dyno binds it, and one router would then send its app's requests to the other Berth's dyno.
// So each throwaway Berth takes a window of both ranges of its own, and holds it by listening on the window's first
// port for as long as it lives: the kernel frees it however the process ends, and a Berth that finds that port
// taken moves on to the next window. Windows are taken from the top, away from where a long-lived daemon's pools
// (the default ranges, handed out from their bottom) start.
import { createServer, type Server } from 'node:net';

const DYNO = { min: 20000, max: 29999 };
const ADDON = { min: 30000, max: 32767 };
const WINDOWS = 100;
const DYNO_SPAN = Math.floor((DYNO.max - DYNO.min + 1) / WINDOWS);
const ADDON_SPAN = Math.floor((ADDON.max - ADDON.min + 1) / WINDOWS);

export interface PortWindow {
  /** BERTH_DYNO_PORT_MIN/MAX and BERTH_ADDON_PORT_MIN/MAX of this window. */
  readonly settings: Readonly<Record<string, string>>;
  /** Gives the window back (the process ending does too). */
  release(): void;
}

function hold(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      // Held for the process's life without keeping it alive; nobody is meant to connect.
      server.unref();
      server.on('connection', (socket) => socket.destroy());
      resolve(server);
    });
  });
}

export async function reservePortWindow(): Promise<PortWindow> {
  for (let index = WINDOWS - 1; index >= 0; index -= 1) {
    const first = DYNO.min + index * DYNO_SPAN;
    const held = await hold(first);
    if (held === undefined) continue;
    const addonMin = ADDON.min + index * ADDON_SPAN;
    return {
      settings: {
        // The window's first port is the marker itself.
        BERTH_DYNO_PORT_MIN: String(first + 1),
        BERTH_DYNO_PORT_MAX: String(first + DYNO_SPAN - 1),
        BERTH_ADDON_PORT_MIN: String(addonMin),
        BERTH_ADDON_PORT_MAX: String(addonMin + ADDON_SPAN - 1),
      },
      release: () => held.close(),
    };
  }
  throw new Error(`All ${WINDOWS} port windows of throwaway Berths are taken: too many run on this machine at once.`);
}
