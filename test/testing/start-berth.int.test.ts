// `berth/testing` on the real engine (issue 16): startBerth() deploys, serves through the router, waits on dyno states
// and reads logs; a second Berth on the same engine leaves the first one's dynos alone; stop() and a SIGKILLed test
// worker both leave no container, image, volume, data dir or listening port behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { startBerth, type Berth } from '../../src/testing/index.js';
import { assertBuilt, REPO_ROOT } from '../support/daemon.js';
import { gitRepoOf } from '../support/git-repo.js';
import { eventually } from '../support/ports.js';

const docker = new Docker();
const NODE_BASIC = join(REPO_ROOT, 'fixtures', 'node-basic');

/** The `berth.instance` label value of the Berth on `dataDir` (the Docker runtime's scope). */
function instanceOf(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
}

interface Leftovers {
  readonly containers: number;
  readonly images: number;
  readonly volumes: number;
}

async function leftovers(dataDir: string): Promise<Leftovers> {
  const label = [`berth.instance=${instanceOf(dataDir)}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  const images = await docker.listImages({ filters: { label } });
  const volumes = await docker.listVolumes({ filters: { label } });
  return { containers: containers.length, images: images.length, volumes: (volumes.Volumes ?? []).length };
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const berths: Berth[] = [];
afterAll(async () => {
  await Promise.all(berths.map((b) => b.stop()));
});

describe('startBerth()', () => {
  let first: Berth;

  it('deploys a directory, serves it through the router, waits for web.1 up, reads its logs; heroku-client is configured', async () => {
    assertBuilt();
    first = await startBerth();
    berths.push(first);
    expect(first.apiUrl).toBe(`http://127.0.0.1:${first.ports.api}`);
    expect(first.env['HEROKU_API_KEY']).toBe(first.apiKey);
    expect(first.env['HEROKU_HOST']).toBe(`https://127.0.0.1:${first.ports.apiTls}`);
    expect(await first.heroku.get<{ email: string }>('/account')).toMatchObject({ email: 'developer@berth.localhost' });

    const deployed = await first.deploy(NODE_BASIC, { app: 'hello' });
    expect(deployed.build.status).toBe('succeeded');
    expect(deployed.release?.version).toBe(3);
    expect(deployed.output).toContain('-----> Node.js app detected');
    expect(deployed.output).toContain(`http://hello.localhost:${first.ports.router}/ deployed to Berth`);

    const dynos = await first.waitFor('hello');
    expect(dynos.map((d) => `${d.name} ${d.state}`)).toEqual(['web.1 up']);
    expect(first.routerUrl('hello', '/x')).toBe(`http://hello.localhost:${first.ports.router}/x`);
    const answer = await first.fetch('hello', '/');
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('Hello from node-basic');

    const lines = await first.logs('hello', { dyno: 'web', match: 'State changed' });
    expect(lines.some((line) => line.endsWith('heroku[web.1]: State changed from starting to up'))).toBe(true);
  });

  it('a second Berth on the same engine starts, runs and stops without touching the first one’s dyno', async () => {
    const before = await docker.listContainers({ filters: { label: [`berth.instance=${instanceOf(first.dataDir)}`, 'berth.role=dyno'] } });
    expect(before).toHaveLength(1);
    const second = await startBerth();
    berths.push(second);
    expect(second.ports.api).not.toBe(first.ports.api);
    expect(await second.heroku.get<unknown[]>('/apps')).toEqual([]);
    await second.stop();
    expect(await leftovers(second.dataDir)).toEqual({ containers: 0, images: 0, volumes: 0 });

    const after = await docker.listContainers({ filters: { label: [`berth.instance=${instanceOf(first.dataDir)}`, 'berth.role=dyno'] } });
    expect(after.map((c) => c.Id)).toEqual(before.map((c) => c.Id));
    expect(await (await first.fetch('hello')).text()).toContain('Hello from node-basic');
  });

  it('stop() removes the dyno, the slug image, the build cache, the data dir, and frees the ports', async () => {
    expect(await leftovers(first.dataDir)).toMatchObject({ containers: 1, images: 1, volumes: 1 });
    await first.stop();
    expect(await leftovers(first.dataDir)).toEqual({ containers: 0, images: 0, volumes: 0 });
    expect(existsSync(first.dataDir)).toBe(false);
    for (const port of [first.ports.api, first.ports.apiTls, first.ports.router, first.ports.routerTls, first.ports.rendezvous]) {
      expect(await listens(port)).toBe(false);
    }
  });

  it('a test worker killed with SIGKILL after a git push leaves nothing behind', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'berth-push-'));
    // Killed in `finally` too: a failed assertion must not leave the worker (and its Berth) running.
    let worker: ChildProcess | undefined;
    try {
      cpSync(NODE_BASIC, repo, { recursive: true });
      gitRepoOf(repo);

      // The worker imports the package export, pushes, reports, and waits to be killed.
      const script = [
        "import { startBerth } from 'berth/testing';",
        'const berth = await startBerth();',
        `const pushed = await berth.push(${JSON.stringify(repo)}, { app: 'pushed' });`,
        "await berth.waitFor('pushed');",
        'console.log(JSON.stringify({ code: pushed.code, version: pushed.release?.version, output: pushed.output, dataDir: berth.dataDir, ports: berth.ports }));',
        'setInterval(() => {}, 1000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      worker = child;
      const reported = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
        });
        child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before reporting: ${out}`)));
      });
      const report = JSON.parse(reported) as { code: number; version: number; output: string; dataDir: string; ports: Berth['ports'] };
      expect(report.code).toBe(0);
      expect(report.output).toContain('remote: -----> Node.js app detected');
      expect(report.version).toBe(3);
      // The web dyno, its slug image and the app's cache volume (the build container is removed while the release boots).
      await eventually(async () => expect(await leftovers(report.dataDir)).toMatchObject({ containers: 1, images: 1, volumes: 1 }), 60_000);

      child.kill('SIGKILL');
      await eventually(
        async () => {
          expect(await leftovers(report.dataDir)).toEqual({ containers: 0, images: 0, volumes: 0 });
          expect(existsSync(report.dataDir)).toBe(false);
          expect(await listens(report.ports.api)).toBe(false);
          expect(await listens(report.ports.router)).toBe(false);
        },
        120_000,
        500,
      );
    } finally {
      worker?.kill('SIGKILL');
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
