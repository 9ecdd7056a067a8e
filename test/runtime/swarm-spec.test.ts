// How the swarm runtime spells a dyno as a swarm service (unit tier; swarm-contract.int.test.ts runs it for real).
import { describe, expect, it } from 'vitest';
import { parseEngines } from '../../src/runtime/index.js';
import { restartDelay } from '../../src/runtime/swarm/registry.js';
import { pushedDigest, runsAsJob, serviceName, serviceSpec, stateWord } from '../../src/runtime/swarm/tasks.js';

describe('swarm service specs', () => {
  const spec = {
    image: 'berth/slug:abc',
    cmd: ['bash', '-c', 'python3 web.py'],
    labels: { app: 'app-id', role: 'dyno' as const, dyno: 'web.1', release: 'r1' },
    env: { PORT: '20001', DYNO: 'web.1' },
    name: 'berth-shop-web.1-3fa2c1',
    memoryBytes: 512 * 1024 * 1024,
    init: true,
    capDrop: ['NET_RAW'],
    pidsLimit: 256,
    binds: ['/etc/ca.pem:/etc/ssl/certs/ca-certificates.crt:ro'],
  };

  it('a dyno: one replica on the host network, no swarm restarts, the dyno size and the labels on service and container', () => {
    const created = serviceSpec(spec, '127.0.0.101:5000/berth/slug:abc', { 'berth.instance': 'i1' }, 'dyno');
    const labels = { 'berth.app': 'app-id', 'berth.role': 'dyno', 'berth.dyno': 'web.1', 'berth.release': 'r1', 'berth.instance': 'i1' };
    expect(created).toMatchObject({
      Name: 'berth-shop-web-1-3fa2c1',
      Labels: labels,
      Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: {
        ContainerSpec: {
          Image: '127.0.0.101:5000/berth/slug:abc',
          Args: ['bash', '-c', 'python3 web.py'],
          Env: ['PORT=20001', 'DYNO=web.1'],
          Labels: labels,
          Init: true,
          CapabilityDrop: ['NET_RAW'],
          Mounts: [{ Type: 'bind', Source: '/etc/ca.pem', Target: '/etc/ssl/certs/ca-certificates.crt', ReadOnly: true }],
        },
        Resources: { Limits: { MemoryBytes: 512 * 1024 * 1024, Pids: 256 } },
        RestartPolicy: { Condition: 'none' },
        Networks: [{ Target: 'host' }],
      },
    });
  });

  it('a release phase or one-off: a replicated job that runs once', () => {
    expect(serviceSpec(spec, 'img', {}, 'job').Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
  });

  it('service names keep letters, digits, - and _ only, 63 at most', () => {
    expect(serviceName('berth-my.app-run.4821-abcdef')).toBe('berth-my-app-run-4821-abcdef');
    expect(serviceName(`berth-${'x'.repeat(80)}`)).toHaveLength(63);
  });

  it('a long app name loses the end of its front part, never the random suffix, so two dynos of it never collide', () => {
    const app = 'a'.repeat(50);
    const first = serviceName(`berth-${app}-worker.1-3fa2c1`);
    const second = serviceName(`berth-${app}-worker.1-9bd04e`);
    expect(first).toHaveLength(63);
    expect(first.endsWith('-3fa2c1')).toBe(true);
    expect(second.endsWith('-9bd04e')).toBe(true);
    expect(first).not.toBe(second);
  });

  it("a task's state reads as the engine's word for a container", () => {
    expect([stateWord({ ID: 't', Status: { State: 'running' } }), stateWord({ ID: 't', Status: { State: 'failed' } }), stateWord({ ID: 't', Status: { State: 'preparing' } }), stateWord(undefined)]).toEqual([
      'running',
      'exited',
      'created',
      'created',
    ]);
  });

  it('BERTH_SWARM_ENGINES: node address = engine, comma-separated', () => {
    expect(parseEngines('127.0.0.101=unix:///a.sock, 127.0.0.102=tcp://10.0.0.2:2375')).toEqual({ '127.0.0.101': 'unix:///a.sock', '127.0.0.102': 'tcp://10.0.0.2:2375' });
    expect(parseEngines('')).toEqual({});
  });

  it("a push's digest comes from its aux event; a push without one names none", () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(pushedDigest([{}, { aux: { Digest: digest } }])).toBe(digest);
    expect(pushedDigest([{}, { aux: {} }])).toBeUndefined();
  });

  it('run() sends only release phases and one-offs to the swarm; a backup transfer stays on the manager', () => {
    const job = (role: 'release' | 'run' | 'addon' | 'build' | 'dyno', binds: string[] = []): boolean =>
      runsAsJob({ image: 'berth/slug:abc', cmd: ['true'], labels: { app: 'app-id', role }, binds });
    expect([job('release'), job('run'), job('release', ['/etc/ca.pem:/etc/ssl/certs/ca.pem:ro'])]).toEqual([true, true, true]);
    expect([job('addon', ['/data/addons/backups:/backups']), job('build'), job('dyno'), job('run', ['berth-vol:/data'])]).toEqual([false, false, false, false]);
  });

  it('a registry that keeps exiting is restarted ever more slowly, a minute apart at most', () => {
    expect([1, 2, 3, 4, 7, 20].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
  });
});
