// `npm run build` (after tsc): dist/cli/main.js, the `berth` command and the daemon, as ONE file with the pure-JS
// packages it imports (esbuild). Loading ~250 of Berth's modules and ~400 of its dependencies' files one by one
// (resolving each, reading its package.json, Node's CommonJS wrapper for each) was about a third of the CPU a throwaway
// Berth spends before it is ready (`startBerth()`, test/bench/testing.bench.ts). Everything else in dist/ stays as tsc
// wrote it: the `berth/testing` export, the reaper and git credential helper the CLI spawns by path, the type files.
//
// Kept outside the bundle, loaded from node_modules as before: native addons (better-sqlite3), code that finds files of
// its own next to it at run time (dockerode's BuildKit parts and their .proto files, see `later`; pino's worker-thread
// transports), and the optional peer heroku-client.
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');
const dist = join(root, 'dist');
const outdir = join(dist, 'cli');
const outfile = join(outdir, 'main.js');

/**
 * `import.meta.url` of a Berth module means the file tsc writes for it (`new URL('./app.js', import.meta.url)` in
 * dist/dashboard/, the bundled buildpacks two levels up): each one becomes that file's URL, worked out from where the
 * bundle is at run time, so the installed package still finds what sits beside each module.
 */
const moduleUrls = {
  name: 'berth-module-urls',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src + sep)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const emitted = join(dist, relative(src, args.path)).replace(/\.ts$/, '.js');
      const fromBundle = relative(dirname(outfile), emitted).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/**
 * Parts of dockerode that every start loaded and Berth never or rarely uses, about a third of the daemon's loading:
 * BuildKit sessions (gRPC and protobufjs; Berth builds with the classic builder) and engines reached over ssh:// (ssh2).
 * Each is loaded from node_modules, as dockerode itself would, the first time it is called.
 */
const LATER = {
  'dockerode/lib/docker.js': { './session': 'dockerode/lib/session.js', './buildkit': 'dockerode/lib/buildkit.js' },
  'docker-modem/lib/modem.js': { './ssh': 'docker-modem/lib/ssh.js' },
};
const later = {
  name: 'berth-later',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/(session|buildkit|ssh)$/ }, (args) => {
      const importer = Object.keys(LATER).find((file) => args.importer.split(sep).join('/').endsWith(`/node_modules/${file}`));
      const target = importer === undefined ? undefined : LATER[importer][args.path];
      return target === undefined ? undefined : { path: target, namespace: 'berth-later' };
    });
    esbuild.onLoad({ filter: /.*/, namespace: 'berth-later' }, (args) => {
      // Resolved from dockerode's own directory: docker-modem is its dependency, wherever npm put it.
      const load = `require('node:module').createRequire(require.resolve('dockerode'))(${JSON.stringify(args.path)})`;
      // session and ssh export one function; buildkit an object, required by dockerode only when it is used.
      const contents = args.path.endsWith('buildkit.js')
        ? `module.exports = ${load};`
        : `module.exports = function (...args) { return ${load}.apply(this, args); };`;
      return { contents, loader: 'js', resolveDir: root };
    });
  },
};

/**
 * `await import('<package>')` of a CommonJS package would get a chunk with only a default export here, where Node gives
 * its named exports too (`const { Pool } = await import('undici')` finds no Pool): such a package comes through a
 * module of Berth's own that re-exports what it needs (src/router/undici.ts). Listed: packages with an ES module build.
 */
const DYNAMIC_ESM = new Set(['pg']);
const dynamicImports = {
  name: 'berth-dynamic-imports',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || DYNAMIC_ESM.has(args.path)) return undefined;
      return { errors: [{ text: `await import('${args.path}'): import a module of Berth's own re-exporting its names instead (scripts/bundle-cli.mjs says why)` }] };
    });
  },
};

const result = await build({
  entryPoints: [join(src, 'cli', 'main.ts')],
  outdir,
  entryNames: 'main',
  // What Berth imports with `await import()` only when first needed (undici for the router, pg for add-ons) goes into
  // chunk files beside main.js, read when first imported: V8 need not even parse them at start.
  splitting: true,
  chunkNames: 'main-[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pino', 'heroku-client', 'pg-native'],
  // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own.
  banner: { js: "import { createRequire as __berthRequire } from 'node:module';\nconst require = __berthRequire(import.meta.url);" },
  // Class and function names as written: error names, Fastify's plugin names in its messages.
  keepNames: true,
  sourcemap: true,
  // As tsc's maps: they point at src/ and node_modules/ rather than carrying a copy of every file.
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [dynamicImports, moduleUrls, later],
  // The metafile names outputs relative to this: the clean-up below finds them wherever the script is run from.
  absWorkingDir: root,
  metafile: true,
});

// The chunks of earlier builds (their names carry a hash of their contents), once this one has written its own.
const written = new Set(Object.keys(result.metafile.outputs).map((file) => join(root, file)));
for (const file of await readdir(outdir)) if (file.startsWith('main-') && !written.has(join(outdir, file))) await rm(join(outdir, file));
