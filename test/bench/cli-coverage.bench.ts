// `npm run bench` (or `npx vitest bench --run --project integration test/bench/cli-coverage.bench.ts`): the count of
// heroku CLI v11 commands that work against Berth, made the way issue 17 asks: a run of each in-scope command.
// One test daemon, one tiny no-dependency app deployed (fixtures/python-stdlib), every command below run once with
// the real CLI in the sandbox of test/support/daemon.ts; the exit code and whether the output shows Berth answering
// 404/405/"not found" are recorded. Prints the table, the counts and the excluded commands with the reason.
// Not part of `npm test`: it runs ~200 CLI processes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { api, createApp } from '../support/build.js';
import { REPO_ROOT, runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { egressGuard } from '../support/egress.js';
import { selfSigned } from '../support/certificates.js';
import { gitRepoOf } from '../support/git-repo.js';
import { deploy, fixtureCopy } from '../dynos/helpers.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

/** Commands left out of the count, by prefix or name, with why. */
const EXCLUDED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(teams|members|orgs)(:|$)/, 'Heroku Teams'],
  [/^apps:(join|leave|lock|unlock|transfer)$|^access:update$|^pipelines:transfer$/, 'Heroku Teams (team apps, permissions, transfers)'],
  [/^spaces(:|$)/, 'Private Spaces'],
  [/^usage:addons$/, 'billing (usage metering)'],
  [/^(authorizations|clients|sessions)(:|$)|^auth:2fa/, 'OAuth authorizations/clients/sessions, two-factor'],
  [/^auth:login$|^auth:logout$/, 'interactive login / would end the sandbox session'],
  [/^accounts(:|$)/, 'the CLI\'s local multi-account store (netrc juggling, no API)'],
  [/^(pipelines:connect|pipelines:setup|pipelines:diff|reviewapps:create|ci:migrate-manifest|ci:debug)$/, 'GitHub-dependent (kolkrabbi, repo links)'],
  [/^(console|rake|repl|config:edit|pg:psql|redis:cli|ps:exec|ps:forward|ps:socks|ps:copy|pg:pull|pg:push|mcp:start|data:pg:psql)$/, 'interactive-only or needs Heroku Exec/SSH/local psql'],
  [/:open$|^dashboard$|^addons:docs$|^data:pg:docs$|^apps:errors$/, 'opens a browser / metrics service'],
  [/^apps:favorites|^notifications$/, 'particleboard/telex: Heroku Dashboard services outside the Platform API'],
  [/^(local|autocomplete|telemetry|status|version:info|buildpacks:search|buildpacks:versions|buildpacks:info)(:|$)/, 'local tooling, status.heroku.com, telemetry drains (Fir), buildpack registry search'],
  [/^(data:|pg:(upgrade|settings|connection-pooling|links|promote|unfollow|fdwsql|credentials:create|credentials:destroy|credentials:repair-default)|redis:(promote|upgrade|maxmemory|timeout|keyspace-notifications|stats-reset))/, 'Heroku Data features of paid/Advanced plans (followers, pooling, settings, upgrades)'],
  [/^(ps:autoscale|ps:type|ps:wait)(:|$)/, 'Performance-tier autoscaling / Fir-only'],
  [/^(container:login|container:logout|container:pull|container:run|container:push|container:rm|container:release)$/, 'needs a local Docker build through the CLI (covered by test/compat container tests)'],
  [/^keys(:|$)|^git:clone$/, 'SSH keys (Heroku git is HTTPS-only since 2021) / clones from the outside'],
  [/^pg:(backups:(cancel|delete|download|url|schedule|schedules|unschedule|info)|bloat|blocking|cache-hit|calls|diagnose|extensions|index-size|index-usage|kill|killall|locks|long-running-queries|mandelbrot|outliers|ps|records-rank|seq-scans|stats-reset|table-indexes-size|table-size|total-index-size|total-table-size|unused-indexes|user-connections|vacuum-stats|copy|reset|credentials:rotate)$/, 'pg diagnostics/backups that run local psql or need a second database'],
  [/^certs:generate$/, 'local openssl CSR generator'],
  [/^(addons:attach|addons:detach|addons:rename|addons:upgrade|addons:wait)$/, 'covered elsewhere (addons/drains compat tests)'],
];

interface Row {
  readonly command: string;
  readonly args: string;
  readonly code: number | null;
  readonly works: string;
  readonly berth404: string;
  readonly why: string;
}

const NOT_FOUND = /\b404\b|\b405\b|not[ _]found|method not allowed/i;

function firstErrorLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => /error|›|not found|404|405|invalid|must|cannot|couldn|failed/i.test(l));
  return (line ?? text.trim().split('\n')[0] ?? '').slice(0, 140);
}

describe('heroku CLI v11 commands against Berth', () => {
  bench(
    'run each in-scope command once',
    async () => {
      const daemon: TestDaemon = await startTestDaemon();
      const rows: Row[] = [];
      try {
        const guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
        const env: CliEnv = sandboxedCliEnv(daemon, guard.env);
        const app = (await createApp(daemon, 'cov')).name;
        const spare = `${app}-b`;
        const renamed = `${app}-c`;
        const dir = await fixtureCopy(daemon, 'python-stdlib');
        await deploy(daemon, app, dir);
        gitRepoOf(dir, { env, message: 'app' });
        const cert = selfSigned(['www.example.test']);
        const certFile = join(daemon.rootDir, 'server.crt');
        const keyFile = join(daemon.rootDir, 'server.key');
        writeFileSync(certFile, cert.certPem);
        writeFileSync(keyFile, cert.keyPem);
        const a = ['-a', app];
        // In order: reads first, then changes, destructive ones last. `{dir}` runs in the app's directory.
        const plan: ReadonlyArray<readonly [string, readonly string[]]> = [
          ['auth:whoami', []], ['auth:token', []], ['apps', []], ['apps:info', a], ['apps:stacks', a], 
          ['regions', []],
          ['apps:create', [spare]], ['apps:diff', [app, spare]], ['apps:stacks:set', ['heroku-24', '-a', spare]],
          ['config', a], ['config:set', ['FOO=bar', ...a]], ['config:get', ['FOO', ...a]], ['config:unset', ['FOO', ...a]],
          ['releases', a], ['releases:info', a], ['releases:output', a], ['releases:rollback', a], ['releases:retry', a],
          ['ps', a], ['ps:scale', ['web=1', ...a]], ['ps:restart', a], ['ps:stop', ['web.1', ...a]], ['logs', ['-n', '5', ...a]],
          ['run', ['echo', 'hi', ...a]], ['run:detached', ['echo', 'hi', ...a]], ['run:inside', ['web.1', 'echo hi', ...a]],
          ['buildpacks', a], ['buildpacks:add', ['heroku/python', '-a', spare]], ['buildpacks:set', ['heroku/nodejs', '-a', spare]],
          ['buildpacks:remove', ['heroku/nodejs', '-a', spare]], ['buildpacks:clear', ['-a', spare]],
          ['domains', a], ['domains:add', ['www.example.test', ...a]], ['domains:info', ['www.example.test', ...a]],
          ['domains:wait', ['www.example.test', ...a]], ['domains:update', ['www.example.test', '--cert', 'none', ...a]],
          ['certs:add', [certFile, keyFile, ...a]], ['certs', a], ['certs:info', a],
          ['certs:update', [certFile, keyFile, '--confirm', app, ...a]],
          ['certs:auto', a], ['certs:auto:enable', a], ['certs:auto:refresh', a], ['certs:auto:disable', ['--confirm', app, ...a]],
          ['certs:remove', ['--confirm', app, ...a]], ['domains:remove', ['www.example.test', ...a]], ['domains:clear', ['-a', spare]],
          ['drains:add', ['syslog://127.0.0.1:9', ...a]], ['drains', a], ['drains:remove', ['syslog://127.0.0.1:9', ...a]],
          ['features', a], ['features:info', ['preboot', ...a]], ['features:enable', ['preboot', ...a]], ['features:disable', ['preboot', ...a]],
          ['labs', []], ['labs:info', ['runtime-dyno-metadata', ...a]], ['labs:enable', ['runtime-dyno-metadata', ...a]], ['labs:disable', ['runtime-dyno-metadata', ...a]],
          ['access', a], ['access:add', ['friend@example.test', ...a]], ['access:remove', ['friend@example.test', ...a]],
          ['maintenance', a], ['maintenance:on', a], ['maintenance:off', a],
          ['webhooks:add', ['--include', 'api:release', '--level', 'notify', '--url', 'http://127.0.0.1:9/hook', ...a]], ['webhooks', a],
          ['config:set', ['HOOKED=1', ...a]], // an api:release event, so the events and deliveries commands have one
          ['webhooks:info', ['x', ...a]], ['webhooks:update', ['x', '--level', 'sync', ...a]], ['webhooks:events', a],
          ['webhooks:events:info', ['x', ...a]], ['webhooks:deliveries', a], ['webhooks:deliveries:info', ['x', ...a]], ['webhooks:remove', ['x', ...a]],
          ['addons', a], ['addons:plans', ['heroku-postgresql']], ['addons:services', []], ['addons:create', ['heroku-postgresql:essential-0', '-a', spare]],
          ['addons:info', ['heroku-postgresql', '-a', spare]], ['pg:info', ['-a', spare]], ['pg:wait', ['-a', spare]], ['pg:credentials', ['-a', spare]],
          ['pg:credentials:url', ['-a', spare]], ['pg:backups', ['-a', spare]], ['pg:backups:capture', ['-a', spare]], ['pg:backups:restore', ['--confirm', spare, '-a', spare]],
          ['addons:destroy', ['heroku-postgresql', '--confirm', spare, '-a', spare]],
          ['addons:create', ['heroku-redis:mini', '-a', spare]], ['redis:info', ['-a', spare]], ['redis:credentials', ['-a', spare]], ['redis:wait', ['-a', spare]],
          ['pipelines:create', ['pl-cov', '--stage', 'staging', ...a]], ['pipelines', []], ['pipelines:info', ['pl-cov']], ['pipelines:add', ['pl-cov', '--stage', 'production', '-a', spare]],
          ['pipelines:promote', a], ['pipelines:update', ['--stage', 'development', '-a', spare]], ['pipelines:rename', ['pl-cov', 'pl-cov2']],
          ['reviewapps:enable', ['-p', 'pl-cov2', '--autodeploy']], ['reviewapps:disable', ['-p', 'pl-cov2', '--autodeploy']],
          ['ci', ['-p', 'pl-cov2']], ['ci:config', ['-p', 'pl-cov2']], ['ci:config:set', ['-p', 'pl-cov2', 'X=1']], ['ci:config:get', ['-p', 'pl-cov2', 'X']],
          ['ci:config:unset', ['-p', 'pl-cov2', 'X']], ['ci:info', ['1', '-p', 'pl-cov2']], ['ci:last', ['-p', 'pl-cov2']], ['ci:rerun', ['-p', 'pl-cov2']],
          ['ci:run', ['-p', 'pl-cov2']],
          ['pipelines:remove', ['-a', spare]], ['pipelines:destroy', ['pl-cov2']],
          ['git:remote', a], ['git:credentials', ['get']],
          ['apps:rename', [renamed, '-a', spare]], ['apps:destroy', ['-a', renamed, '--confirm', renamed]],
        ];
        // Webhook/pipeline ids are only known at run time: fill `x` from the API.
        const dynamicIds = async (command: string): Promise<string | undefined> => {
          if (command.startsWith('webhooks:deliveries:info')) return (await api<Array<{ id: string }>>(daemon, 'GET', `/apps/${app}/webhook-deliveries`))[0]?.id;
          if (command.startsWith('webhooks:events:info')) return (await api<Array<{ id: string }>>(daemon, 'GET', `/apps/${app}/webhook-events`))[0]?.id;
          if (command.startsWith('webhooks')) return (await api<Array<{ id: string }>>(daemon, 'GET', `/apps/${app}/webhooks`))[0]?.id;
          return undefined;
        };
        const inScope = new Set(plan.map(([command]) => command));
        for (const [command, raw] of plan) {
          const id = await dynamicIds(command).catch(() => undefined);
          const args = raw.map((arg) => (arg === 'x' && id !== undefined ? id : arg));
          const cwd = ['git:remote', 'ci', 'ci:run', 'ci:last', 'ci:rerun', 'ci:debug', 'ci:info', 'releases:output'].includes(command) ? dir : undefined;
          const timeoutMs = command === 'ci:debug' ? 20_000 : 180_000;
          const result = await runHeroku([command, ...args], env, cwd === undefined ? { timeoutMs } : { cwd, timeoutMs });
          const output = `${result.stdout}\n${result.stderr}`;
          rows.push({
            command,
            args: args.join(' ').replace(daemon.rootDir, '<tmp>').replace(daemon.rootDir, '<tmp>').slice(0, 60),
            code: result.code,
            works: result.code === 0 ? 'yes' : 'no',
            berth404: result.code !== 0 && NOT_FOUND.test(output) ? 'yes' : '',
            why: result.code === 0 ? '' : firstErrorLine(output),
          });
        }
        const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'heroku', 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
        const all = Object.keys(manifest.commands).sort();
        const excluded = all.filter((c) => !inScope.has(c)).map((c) => ({ command: c, reason: EXCLUDED.find(([re]) => re.test(c))?.[1] ?? 'not in the plan' }));
        const byCommand = new Map<string, boolean>();
        for (const row of rows) byCommand.set(row.command, (byCommand.get(row.command) ?? true) && row.works === 'yes');
        const working = [...byCommand.values()].filter(Boolean).length;
        console.table(rows);
        console.table(excluded);
        const summary = `heroku CLI ${JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'heroku', 'package.json'), 'utf8')).version as string}: ` +
          `${all.length} commands, ${excluded.length} excluded, ${byCommand.size} in scope, ${working} work, ${byCommand.size - working} fail ` +
          `(${rows.filter((r) => r.berth404 === 'yes').length} runs with a 404/405/not found)`;
        console.log(`${summary}\n(rows in ${join(tmpdir(), 'berth-cli-coverage.json')})`);
        writeFileSync(join(tmpdir(), 'berth-cli-coverage.json'), JSON.stringify({ summary, rows, excluded }, null, 2));
      } finally {
        await daemon.dispose();
      }
    },
    once,
  );
});
