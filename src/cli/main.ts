#!/usr/bin/env -S node --max-semi-space-size=4
// The `berth` command. The shebang caps V8's young generation at 4 MB a semi-space (Node's default grows it to 16):
// the daemon's start-up (modules, certificates) grows it to the maximum and V8 never gives it back, about 20 MB of an
// idle daemon's ~120 MB resident. Collections of young objects stay cheap at 10,000 log lines/s (test/bench/memory.bench.ts
// and logplex-dyno.bench.ts measure both). `npm start` and test/support/daemon.ts run main.js with these same flags.
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../daemon.js';
import { apiUrl, gitHost, loadSettings } from '../settings.js';
import { ApiClient } from './client.js';
import { registerClientCommands, registerGitCommands, resolveApp } from './commands.js';
import { registerContainerCommands } from './container.js';
import { daemonLogger } from './daemon-log.js';
import { doctor } from './doctor.js';
import type { DynoWrites } from '../doctor/index.js';
import { registerTeachingCommands } from './chaos.js';
import { aliasLine, cliEnvironment, exportLines } from './environment.js';
import { isTimingPreset, runEphemeral, TIMING_PRESETS } from './ephemeral.js';
import { terminalProgress } from './progress.js';
import { setup, setupSwarm } from './setup.js';
import { watch } from './watch.js';

const program = new Command();
program
  .name('berth')
  .description('A Heroku-compatible PaaS on one machine: git push, classic buildpacks in Docker, the Platform API v3.')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Settings come from BERTH_* environment variables (BERTH_DATA, BERTH_API_PORT, ...); see README.md.

Deploy with git (inside your app's repo):
  berth apps:create <app>      (or: berth git:remote -a <app>) adds the remote "local"
  git push local main

Point the heroku CLI at Berth:
  eval "$(berth env)"`,
  );

program
  .command('setup')
  .description('install and start a Docker engine if none answers, build the heroku-24 stack images, create the local CA')
  .option('--swarm', 'also start a Docker Swarm beside the engine for BERTH_RUNTIME=swarm (never turns the engine itself into a swarm)')
  .option('--workers <n>', 'with --swarm: worker nodes to start beside the manager', '0')
  .action(async (options: { swarm?: boolean; workers: string }) => {
    const settings = loadSettings();
    await setup(settings, terminalProgress());
    if (options.swarm !== true) return;
    const workers = Number(options.workers);
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers must be a whole number, got "${options.workers}"`);
    const env = await setupSwarm(settings, terminalProgress(), workers);
    process.stdout.write(`Run Berth on the swarm with:\n${Object.entries(env).map(([k, v]) => `  export ${k}=${v}`).join('\n')}\n`);
  });

program
  .command('up')
  .description('run setup, then the Berth daemon in the foreground (what `npm start` runs)')
  .option('--no-setup', 'skip setup (the engine and stack images must already be there)')
  .option('--ephemeral', 'a throwaway Berth for a test suite: temp data dir, free ports, one JSON line on stdout when ready; removes everything when stdin closes or on SIGTERM')
  .option('--timing <preset>', 'timing preset of an --ephemeral Berth: fast (short boot timeout, grace, cool-off) or heroku', 'fast')
  .action(async (options: { setup: boolean; ephemeral?: boolean; timing: string }) => {
    if (options.ephemeral === true) {
      if (!isTimingPreset(options.timing)) throw new Error(`--timing must be one of ${Object.keys(TIMING_PRESETS).join(', ')}, got "${options.timing}"`);
      // The engine and stack images are set up once per machine (`berth setup`); a test's Berth never builds them.
      await runEphemeral(options.timing);
      return;
    }
    const settings = loadSettings();
    if (options.setup) await setup(settings, terminalProgress());
    const daemon = await startDaemon(settings, { logger: daemonLogger(settings) });
    // A stray rejected promise in one room (a dyno's restart, a drain) must not take every app down with it: log it
    // loudly and keep serving. An uncaught exception still stops the daemon, since its state may be broken.
    process.on('unhandledRejection', (reason) => daemon.logger.error({ err: reason }, 'unhandled promise rejection'));
    const env = await cliEnvironment(settings);
    process.stderr.write(
      [
        '',
        'Berth is up.',
        `  API:     ${apiUrl(settings)}   (HTTPS and git: https://${gitHost(settings)})`,
        `  Router:  http://<app>.localhost:${settings.routerPort}/`,
        `  Data:    ${settings.dataDir}`,
        '',
        'Point the heroku CLI at it (or run: eval "$(berth env)"):',
        exportLines(env),
        '',
        'The berth command from any directory (add it to ~/.bashrc to keep it):',
        aliasLine(fileURLToPath(import.meta.url)),
        '',
      ].join('\n') + '\n',
    );
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      daemon.logger.info({ signal }, 'stopping');
      daemon.close().then(
        () => process.exit(0),
        (error: unknown) => {
          daemon.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('env')
  .description('print the export lines that point the heroku CLI at Berth, for eval "$(berth env)"')
  .action(async () => {
    process.stdout.write(`${exportLines(await cliEnvironment(loadSettings()))}\n`);
  });

program
  .command('watch')
  .description('rebuild and redeploy the app whenever files in the directory change (Ctrl-C stops watching)')
  .argument('[dir]', "the app's directory", '.')
  .option('-a, --app <app>', 'app name')
  .option('--settle <ms>', 'quiet time after the last change before a build starts', '300')
  .action(async (dir: string, options: { app?: string; settle: string }) => {
    const settings = loadSettings();
    const settleMs = Number(options.settle);
    if (!Number.isInteger(settleMs) || settleMs < 0) throw new Error(`--settle must be a whole number of milliseconds, got "${options.settle}"`);
    const app = await resolveApp(settings, options.app, dir);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    await watch(await ApiClient.fromSettings(settings), { dir, app, settleMs, out: process.stdout, signal: abort.signal });
  });

program
  .command('doctor')
  .description("check an app's source against Heroku's advice (every push runs the same checks); each finding with a one-line fix")
  .argument('[dir]', "the app's directory", '.')
  .option('--json', 'print the findings as JSON')
  .option('-a, --app <app>', "also check what the app's dynos wrote outside /tmp before they last stopped (needs the daemon)")
  .action(async (dir: string, options: { json?: boolean; app?: string }) => {
    const written =
      options.app === undefined
        ? []
        : await (await ApiClient.fromSettings(loadSettings())).request<DynoWrites[]>(`/berth/apps/${encodeURIComponent(options.app)}/disk-writes`);
    await doctor(dir, { json: options.json === true, out: process.stdout, written });
  });

registerGitCommands(program);
registerClientCommands(program);
registerTeachingCommands(program);
registerContainerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(` !     ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
