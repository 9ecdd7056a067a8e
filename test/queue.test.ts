import { describe, expect, it } from 'vitest';
import { AppQueues, type QueueTurn } from '../src/queue.js';

/** A promise the test resolves when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('AppQueues', () => {
  it("runs one app's work in order, tells a newcomer what it waits for, and never makes other apps wait", async () => {
    const queues = new AppQueues();
    const order: string[] = [];
    const first = gate();
    const waits: string[] = [];
    const a1 = queues.run('a', 'build 1', async () => {
      await first.promise;
      order.push('a1');
    });
    const a2 = queues.run('a', 'push', async () => void order.push('a2'), (running) => waits.push(running));
    await queues.run('b', 'build 9', async () => void order.push('b1'));
    expect(order).toEqual(['b1']);
    expect(waits).toEqual(['build 1']);
    expect(queues.busy('a')).toBe('build 1');
    first.open();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(queues.busy('a')).toBeUndefined();
  });

  it('runs work given its caller\'s turn at once, and holds the turn until that work ends too', async () => {
    const queues = new AppQueues();
    const order: string[] = [];
    const build = gate();
    let inner: Promise<void> | undefined;
    const push = queues.run('a', 'push', async (turn: QueueTurn) => {
      // Queued behind the push, this build would wait for the push that waits for it.
      inner = queues.run('a', 'build 1', async () => {
        order.push('build starts');
        await build.promise;
        order.push('build ends');
      }, undefined, turn);
      order.push('push returns');
    });
    const next = queues.run('a', 'release v3', async () => void order.push('release'));
    let settled = false;
    void push.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    // The push's work has returned, but its build runs in its turn: the push is not over and the release waits.
    expect(order).toEqual(['build starts', 'push returns']);
    expect(settled).toBe(false);
    build.open();
    await Promise.all([push, inner, next]);
    expect(order).toEqual(['build starts', 'push returns', 'build ends', 'release']);
  });

  it('queues work whose turn is over, or belongs to another app, like any other', async () => {
    const queues = new AppQueues();
    let kept: QueueTurn | undefined;
    await queues.run('a', 'push', async (turn) => void (kept = turn));
    const blocker = gate();
    const running = queues.run('a', 'build 1', () => blocker.promise);
    const waits: string[] = [];
    const late = queues.run('a', 'build 2', async () => 'ran', (what) => waits.push(what), kept);
    const other = queues.run('b', 'build 3', async () => 'b ran', (what) => waits.push(what), kept);
    expect(await other).toBe('b ran');
    // Only app a's build waited (behind what a's queue ran when it asked); b's did not.
    expect(waits).toHaveLength(1);
    blocker.open();
    expect(await late).toBe('ran');
    await running;
  });
});
