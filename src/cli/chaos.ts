// `berth chaos <kind>`, `berth clock` and `berth dashboard`: the teaching controls through the API (`/berth/...`), for
// a lesson in a terminal beside `berth logs --tail`, or in the browser.
import type { Command } from 'commander';
import { CHAOS_KINDS } from '../chaos/index.js';
import { loadSettings } from '../settings.js';
import { ApiClient } from './client.js';
import { resolveApp } from './commands.js';

interface ChaosAnswer {
  readonly kind: string;
  readonly dyno: string;
  readonly description: string;
}

/** What `berth clock` prints: the speed, and what it means for the longest wait a learner meets. */
export function clockLine(speed: number): string {
  const cooloff = (20 * 60) / speed;
  const said = cooloff >= 60 ? `${+(cooloff / 60).toFixed(1)} minutes` : `${+cooloff.toFixed(1)} seconds`;
  return `Lesson clock: ${speed}x (a 20-minute crash cool-off takes ${said}; log lines keep Heroku's numbers)`;
}

export function registerTeachingCommands(program: Command): void {
  program
    .command('chaos')
    .description("provoke a dyno failure on purpose and watch Heroku's lines in `berth logs --tail`")
    .argument('<kind>', Object.entries(CHAOS_KINDS).map(([kind, what]) => `\n  ${kind}: ${what}`).join(''))
    .option('-a, --app <app>', 'app name')
    .option('-d, --dyno <dyno>', 'the dyno (default web.1, else the first)')
    .option('--signal <signal>', 'crash: SIGKILL (default), SIGTERM, SIGINT or SIGHUP')
    .option('--exit-code <status>', "crash: the dyno's main process exits with this status (0 to 255) instead of dying of a signal")
    .option('--seconds <seconds>', 'slow-router: how long the router waits before forwarding each request (default 35; 0 ends it)')
    .action(async (kind: string, options: { app?: string; dyno?: string; signal?: string; exitCode?: string; seconds?: string }) => {
      const settings = loadSettings();
      const app = await resolveApp(settings, options.app);
      const exitCode = options.exitCode === undefined ? undefined : Number(options.exitCode);
      if (exitCode !== undefined && !Number.isInteger(exitCode)) throw new Error(`--exit-code must be a whole number, got "${options.exitCode}"`);
      const seconds = options.seconds === undefined ? undefined : Number(options.seconds);
      if (seconds !== undefined && !Number.isFinite(seconds)) throw new Error(`--seconds must be a number, got "${options.seconds}"`);
      const answer = await (await ApiClient.fromSettings(settings)).request<ChaosAnswer>(
        `/berth/apps/${encodeURIComponent(app)}/chaos/${encodeURIComponent(kind)}`,
        { method: 'POST', body: { dyno: options.dyno, signal: options.signal, exit_code: exitCode, seconds } },
      );
      process.stdout.write(`${answer.kind} on ${answer.dyno}: ${answer.description}\nWatch it: berth logs --tail -a ${app}\n`);
    });

  program
    .command('clock')
    .description("show or set the lesson clock: the dynos' cool-off, cycling, boot timeout and stop grace pass SPEED times faster")
    .option('--speed <speed>', 'how many times faster than the wall clock (1 to 1000; 1 is Heroku time)')
    .action(async (options: { speed?: string }) => {
      const client = await ApiClient.fromSettings(loadSettings());
      const answer =
        options.speed === undefined
          ? await client.request<{ speed: number }>('/berth/clock')
          : await client.request<{ speed: number }>('/berth/clock', { method: 'PUT', body: { speed: Number(options.speed) } });
      process.stdout.write(`${clockLine(answer.speed)}\n`);
    });

  program
    .command('dashboard')
    .description('print a one-time link that opens the dashboard (the apps, each dyno live, releases, config, logs) in a browser')
    .action(async () => {
      const link = await (await ApiClient.fromSettings(loadSettings())).request<{ url: string }>('/berth/dashboard/links', { method: 'POST' });
      process.stdout.write(`${link.url}\n(good once, for 5 minutes: it signs this browser in)\n`);
    });
}
