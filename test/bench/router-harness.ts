// Router throughput against the same web dyno (a hello-world Node server in its own process), all on loopback:
// straight at the dyno, through Berth's router (every feature on: router lines into logplex and the store, H-code
// handling), through a bare undici Pool proxy (the core the router is built on), and through nginx (Debian's package) as a reverse proxy. Load from wrk; req/s and p99 of each, and the ratios. The router and nginx are measured in
// alternating rounds, each round's ratio from the two runs next to each other: on a shared machine the load changes
// from one run to the next, and the best and median of the paired ratios say more than one pair. Every target is
// warmed up first: a fresh Node process needs a few thousand requests before its JIT makes the proxy path fast.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import type { AppRoute, RoutingSource, RoutingTable } from '../../src/contracts/routing.js';
import { Logplex } from '../../src/logs/index.js';
import { Router } from '../../src/router/index.js';
import { Store } from '../../src/store/index.js';

const run = promisify(execFile);

export interface LoadResult {
  readonly label: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** The machine's 1-minute load average when the run started. */
  readonly load: string;
  /**
   * CPU time the proxy (or dyno) spent per request, in microseconds: unlike req/s it hardly moves with what else
   * runs on the machine, so it is the figure to compare levers by.
   */
  readonly cpuUsPerRequest: number;
}

/** CPU time used so far by the measured process(es), in microseconds. */
type CpuClock = () => number;

const inProcess: CpuClock = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** utime + stime of a process and its children (nginx's workers), from /proc, in microseconds. */
function processTree(pid: number): CpuClock {
  const ticks = (id: number): number => {
    try {
      const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      let sum = Number(fields[11]) + Number(fields[12]);
      for (const child of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').split(' ')) if (child.trim() !== '') sum += ticks(Number(child));
      return sum;
    } catch {
      return 0;
    }
  };
  // USER_HZ is 100 on Linux: a tick is 10 ms.
  return () => ticks(pid) * 10_000;
}

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  /** Warm-up of each target before it is measured. */
  readonly warmSeconds: number;
  /** Router and nginx runs, alternating. */
  readonly rounds: number;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ', 1)[0] ?? '';
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}

/** One wrk run (one thread, keep-alive connections) against a loopback URL with a Host header. */
export async function wrk(
  label: string,
  url: string,
  host: string,
  options: Pick<LoadOptions, 'seconds' | 'connections'>,
  cpu: CpuClock = () => Number.NaN,
): Promise<LoadResult> {
  const load = loadAverage();
  const cpuBefore = cpu();
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-H', `Host: ${host}`, url];
  const { stdout } = await run('wrk', args, { timeout: (options.seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = ms(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  return { label, requestsPerSecond: rps, p99Ms: p99, non2xx, load, cpuUsPerRequest: (cpu() - cpuBefore) / requests };
}

const DYNO = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 13 }); res.end('Hello World!\\n'); });
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startDyno(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', DYNO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`dyno exited ${code}`)));
  });
  return { port, child };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A proxy on an undici Pool with nothing else: the floor of what the router's own core costs. */
async function bareUndici(dynoPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new Pool(`http://127.0.0.1:${dynoPort}`, { keepAliveTimeout: 90_000 });
  const server = createServer((req, res) => {
    pool
      .request({ path: req.url ?? '/', method: 'GET', headers: { host: req.headers.host ?? '' } })
      .then(({ statusCode, headers, body }) => {
        res.writeHead(statusCode, headers as Record<string, string>);
        body.pipe(res);
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
  return { port: await listen(server), close: async () => (await close(server), await pool.close()) };
}

async function nginx(dynoPort: number, dir: string): Promise<{ port: number; cpu: CpuClock; close(): Promise<void> } | undefined> {
  const { stdout } = await run('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true']);
  const bin = stdout.trim().split('\n')[0];
  if (!bin) return undefined;
  const server = createServer();
  const port = await listen(server);
  await close(server);
  // One worker: the router is one Node process (one core for its JavaScript) too.
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined buffer=64k;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream dyno { server 127.0.0.1:${dynoPort}; keepalive 64; keepalive_timeout 90s; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://dyno;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Request-Start $msec;
      proxy_read_timeout 30s;
    }
  }
}
`,
  );
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
  const deadline = Date.now() + 5000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok).catch(() => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error('nginx did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    cpu: processTree(child.pid as number),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGQUIT');
      }),
  };
}

export interface RouterBench {
  readonly results: LoadResult[];
  readonly routerLines: number;
}

export async function runRouterBench(options: LoadOptions): Promise<RouterBench> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-router-bench-'));
  const dyno = await startDyno();
  const store = new Store({ file: join(dir, 'berth.db'), logHistoryLines: 1500 });
  store.apps.insert({ id: 'app-bench', name: 'bench', createdAt: '2026-01-01T00:00:00Z', stack: 'heroku-24', region: 'us' });
  const logplex = new Logplex(store);
  const route: AppRoute = {
    appId: 'app-bench',
    appName: 'bench',
    hosts: ['bench.localhost'],
    maintenance: false,
    webQuantity: 1,
    dynos: [{ name: 'web.1', state: 'up', host: '127.0.0.1', port: dyno.port }],
  };
  const table: RoutingTable = { byHost: new Map([['bench.localhost', route]]) };
  const source: RoutingSource = { current: () => table, subscribe: () => () => undefined };
  let routerLines = 0;
  const router = new Router({
    source,
    logplex: {
      write(appId, sourceName, process, lines) {
        routerLines += lines.length;
        logplex.write(appId, sourceName, process, lines);
      },
    },
  });
  const results: LoadResult[] = [];
  try {
    const host = 'bench.localhost';
    const warm = { seconds: options.warmSeconds, connections: options.connections };
    const once = (label: string, port: number, cpu: CpuClock) => wrk(label, `http://127.0.0.1:${port}/`, host, options, cpu);
    await wrk('direct', `http://127.0.0.1:${dyno.port}/`, host, warm);
    results.push(await once('direct', dyno.port, processTree(dyno.child.pid as number)));
    const undiciProxy = await bareUndici(dyno.port);
    await wrk('bare undici Pool proxy', `http://127.0.0.1:${undiciProxy.port}/`, host, warm);
    results.push(await once('bare undici Pool proxy', undiciProxy.port, inProcess));
    await undiciProxy.close();
    const routerPort = await router.listen({ host: '127.0.0.1', port: 0 });
    await wrk('router', `http://127.0.0.1:${routerPort}/`, host, warm);
    const ngx = await nginx(dyno.port, dir);
    try {
      if (ngx) await wrk('nginx', `http://127.0.0.1:${ngx.port}/`, host, warm);
      for (let round = 0; round < options.rounds; round++) {
        results.push(await once('router', routerPort, inProcess));
        if (ngx) results.push(await once('nginx', ngx.port, ngx.cpu));
      }
    } finally {
      await ngx?.close();
    }
  } finally {
    await router.close();
    logplex.flush();
    store.close();
    dyno.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, routerLines };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function describeRouterBench(bench: RouterBench, options: LoadOptions): string {
  const all = (label: string) => bench.results.filter((r) => r.label === label);
  const lines = [
    `router bench: wrk -t1 -c${options.connections} -d${options.seconds}s after ${options.warmSeconds}s of warm-up, hello-world dyno, loopback`,
  ];
  for (const r of bench.results) {
    lines.push(
      `  ${r.label.padEnd(24)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms   ` +
        `cpu ${r.cpuUsPerRequest.toFixed(0).padStart(4)} us/req   load ${r.load}${r.non2xx ? `   non-2xx ${r.non2xx}` : ''}`,
    );
  }
  const routers = all('router');
  const ratio = (label: string) => {
    const others = all(label);
    if (routers.length === 0 || others.length === 0) return;
    // Pairs: the router's run next to the other's (alternating rounds), else against the other's only run.
    const pairs = routers.map((r, i) => [r, others[Math.min(i, others.length - 1)] as LoadResult] as const);
    const rps = pairs.map(([r, o]) => r.requestsPerSecond / o.requestsPerSecond);
    const p99 = pairs.map(([r, o]) => r.p99Ms / o.p99Ms);
    const cpu = pairs.map(([r, o]) => r.cpuUsPerRequest / o.cpuUsPerRequest);
    lines.push(
      `  router / ${label}: ${median(rps).toFixed(2)} x req/s (best ${Math.max(...rps).toFixed(2)}), ` +
        `${median(p99).toFixed(2)} x p99 (best ${Math.min(...p99).toFixed(2)}), ` +
        `${median(cpu).toFixed(2)} x CPU per request (best ${Math.min(...cpu).toFixed(2)}), median of ${pairs.length}`,
    );
  };
  ratio('nginx');
  ratio('direct');
  ratio('bare undici Pool proxy');
  lines.push(`  router lines written to logplex: ${bench.routerLines}`);
  return lines.join('\n');
}
