// issue 11, item 6: dynos share the host's network, so they are confined: no NET_RAW (no sniffing the CLI's API key
// on loopback), no privileged ports, no new privileges through setuid binaries, and Heroku's process/thread limit.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, buildDirectory, createApp, docker, fixture, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { appContainers, deploy, logMark, readLog, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, waitForLines, type DynoJson } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  app = await createApp(daemon, 'confine');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

const PROBE_LINES = [
  `python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>/dev/null && echo raw-socket=allowed || echo raw-socket=refused`,
  `python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 81))' 2>/dev/null && echo port-81=allowed || echo port-81=refused`,
  `echo no-new-privs=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)`,
  // cgroup v2, or v1's pids controller.
  `echo pids-max=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)`,
];
const PROBE = PROBE_LINES.join('; ');

describe('dyno confinement', () => {
  it('a one-off dyno can open no raw socket, bind no privileged port, gain no privileges, and has a PID limit', async () => {
    const mark = logMark(daemon, app.id);
    const dyno = await api<DynoJson>(daemon, 'POST', `/apps/${app.name}/dynos`, { command: PROBE, attach: false, size: 'standard-2x' });
    const name = dyno.name.replace('.', '\\.');
    await waitForLines(daemon, app.id, [`heroku[${dyno.name}]: State changed from up to complete`], { afterSeq: mark });
    const output = readLog(daemon, app.id, mark).lines.filter((line) => new RegExp(`^app\\[${name}\\]: `).test(line));
    expect(output.map((line) => line.replace(/^app\[[^\]]+\]: /, ''))).toEqual(['raw-socket=refused', 'port-81=refused', 'no-new-privs=1', 'pids-max=512']);
  });

  it("a formation dyno's container drops NET_RAW, adds no capability, sets no-new-privileges and the size's PID limit", async () => {
    const [id] = await appContainers(app.id, 'web.1');
    expect(id).toBeDefined();
    const host = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id as string])) as {
      CapDrop: string[] | null;
      CapAdd: string[] | null;
      SecurityOpt: string[] | null;
      PidsLimit: number | null;
    };
    expect(host.CapDrop).toEqual(expect.arrayContaining(['NET_RAW', 'NET_BIND_SERVICE']));
    // No SYS_PTRACE above all: with it a dyno could trace the engine's `runc init` of each exec into it.
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
    expect(host.PidsLimit).toBe(256);
  });
});

describe('build confinement', () => {
  it("a build's own scripts can open no raw socket and gain no privileges", async () => {
    const buildpack = await mkdtemp(join(daemon.rootDir, 'probe-bp-'));
    await mkdir(join(buildpack, 'bin'));
    const scripts: Record<string, string> = {
      detect: '#!/usr/bin/env bash\necho Probe\n',
      compile: `#!/usr/bin/env bash\n${PROBE_LINES.slice(0, 3).join('\n')}\nexit 1\n`,
    };
    for (const [name, text] of Object.entries(scripts)) {
      await writeFile(join(buildpack, 'bin', name), text);
      await chmod(join(buildpack, 'bin', name), 0o755);
    }
    const run = await buildDirectory(daemon, app.name, fixture('python-stdlib'), { buildpacks: [{ url: buildpack }] });
    expect(run.lines).toEqual(expect.arrayContaining(['raw-socket=refused', 'port-81=refused', 'no-new-privs=1']));
  });
});
