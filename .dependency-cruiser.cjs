// The house rules of DESIGN.md "Layout", as dependency-cruiser rules; test/house/imports.test.ts runs them on src/.
//   - no import cycle between files, nor between rooms (folders under src/);
//   - a room is entered only through its index.ts (contracts/ has no index: its files are types only);
//   - each room uses only what its "may use" column names, plus the leaf modules every room may use.
// TypeScript 7 has no JS API, so the swc parser reads the sources; with it, `import type` counts like any import
// (a type is a dependency too). tsConfig lets `./x.js` specifiers resolve to `./x.ts`.

/** Leaf modules: any room may use them; they use nothing but contracts (events.ts) or nothing at all. */
const LEAVES = [
  '^src/contracts/',
  '^src/settings\\.ts$',
  '^src/errors\\.ts$',
  '^src/events\\.ts$',
  '^src/clock\\.ts$',
  '^src/queue\\.ts$',
  // Stable UUID-shaped ids from a hash (catalogue entries, derived users, certificates).
  '^src/ids\\.ts$',
  // The API key file and how a request proves it holds the key: the daemon, the API, git and the CLI share it.
  '^src/credentials\\.ts$',
];

/**
 * DESIGN.md's "may use" column, room by room (a room may always use itself and the leaves). Where the code needs
 * more than the table says, the entry says why; the lead may fold these into DESIGN.md.
 */
const MAY_USE = {
  // Table: "api client only". Today `berth up` starts the daemon in-process and `berth setup` prepares the host
  // (engine, stack images, the local CA), so the CLI also reaches the composition root and the host-setup rooms.
  // `berth doctor [dir]` checks a directory on this machine with doctor/ (pure), before anything reaches the daemon;
  // `berth chaos` lists chaos/'s catalogue of controls in its help.
  cli: ['daemon.ts', 'host', 'runtime', 'stack', 'tls', 'doctor', 'chaos'],
  store: [],
  host: [],
  runtime: [],
  // Table: runtime. Building the stack images takes the host's file lock, so two setups never build them at once.
  stack: ['runtime', 'host'],
  tls: [],
  logs: ['store'],
  apps: ['store', 'logs'],
  sources: ['runtime', 'stack', 'store', 'logs'],
  // buildpacks/ exists to serve the slug compiler, so builds/ uses it (the table's row omits it).
  builds: ['runtime', 'stack', 'store', 'logs', 'sources', 'buildpacks'],
  buildpacks: [],
  releases: ['runtime', 'store', 'logs'],
  dynos: ['runtime', 'store', 'logs'],
  // Not in the table (wave 1 added it): an app's custom domains; tls/ normalises host names.
  domains: ['store', 'tls'],
  // Table: "the routing snapshot, logs": the snapshot's types are in contracts/routing.ts.
  router: ['logs'],
  // Table: "builds (via daemon wiring)": git gets what it calls through its constructor, as interfaces it defines.
  git: [],
  // Table: "services only": every service room, never the store, the engine or the servers' internals.
  // Wave 2 (issue 18): the teaching controls under /berth/ are a service like the others; the dashboard's pages and
  // sessions are served by the API's servers (a dashboard session is one more way to present the key).
  api: ['apps', 'builds', 'sources', 'releases', 'dynos', 'domains', 'logs', 'git', 'webhooks', 'features', 'pipelines', 'setups', 'addons', 'chaos', 'dashboard'],
  // Wave 2 (issue 17): app webhooks hear `resource.changed` and keep their subscriptions, events and deliveries.
  webhooks: ['store'],
  // Wave 2 (issue 17): app and account features; dynos/ reads `runtime-dyno-metadata` through the composition root.
  features: ['store'],
  // Table: runtime, stack, store, apps. A server that stops under a running app, and a plan change, are told in the
  // app's log (logs/lines/addons.ts), so add-ons/ writes to logplex.
  addons: ['runtime', 'stack', 'store', 'apps', 'logs'],
  appjson: [],
  // Table: apps, addons, builds, releases, dynos; app.json is read with appjson/, and a setup's record is kept in the store.
  setups: ['apps', 'addons', 'builds', 'releases', 'dynos', 'appjson', 'store'],
  // Table: apps, releases, setups, dynos. Pipelines, couplings and promotions are its own records, kept in the store.
  pipelines: ['apps', 'releases', 'setups', 'dynos', 'store'],
  doctor: [],
  chaos: ['dynos', 'router'],
  dashboard: ['apps', 'builds', 'releases', 'dynos', 'domains', 'logs'],
  testing: ['cli', 'daemon.ts'],
};

const escape = (name) => name.replace(/\./g, '\\.');
const target = (name) => (name.endsWith('.ts') ? `^src/${escape(name)}$` : `^src/${name}/`);

const mayUseRules = Object.entries(MAY_USE).map(([room, allowed]) => ({
  name: `may-use:${room}`,
  comment: `${room}/ may use ${allowed.length > 0 ? allowed.join(', ') : 'nothing'} (and the leaf modules)`,
  severity: 'error',
  from: { path: `^src/${room}/` },
  to: { path: '^src/', pathNot: [`^src/${room}/`, ...LEAVES, ...allowed.map(target)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'resolvable',
      comment: 'Every import resolves (a `./x.js` specifier to `./x.ts`): an unresolved one would hide its edges from every rule.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-file-cycle',
      comment: 'No import cycle between files.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-room-cycle',
      comment: 'No import cycle between rooms (a cycle inside one room is left to no-file-cycle).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src/[^/]+)' },
      to: { circular: true, via: { pathNot: '^$1(/|$)' } },
    },
    {
      name: 'enter-through-index',
      comment: "A room is entered only through its index.ts: no import of another room's inner files.",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/contracts/'] },
    },
    {
      name: 'enter-through-index:top-level',
      comment: "The composition root and the leaves also enter rooms only through their index.ts.",
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/[^/]+/index\\.ts$', '^src/contracts/'] },
    },
    {
      name: 'leaf:contracts',
      comment: 'contracts/ is types shared across rooms and uses nothing else.',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: '^src/contracts/' },
    },
    {
      name: 'leaf:events',
      comment: 'events.ts uses contracts only.',
      severity: 'error',
      from: { path: '^src/events\\.ts$' },
      to: { path: '^src/', pathNot: '^src/contracts/' },
    },
    {
      name: 'leaf:nothing',
      comment: 'settings.ts, errors.ts, clock.ts, queue.ts, ids.ts and credentials.ts use nothing of Berth.',
      severity: 'error',
      from: { path: '^src/(settings|errors|clock|queue|ids|credentials)\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'composition-root',
      comment: 'Only the CLI (`berth up`) and testing/ start the daemon; only the daemon uses services.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/testing/', '^src/daemon\\.ts$'] },
      to: { path: '^src/(daemon|services)\\.ts$' },
    },
    ...mayUseRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
