// Dead code: knip (knip.jsonc) finds unused files, exports, types and dependencies across src/ and test/. Zero
// findings is the rule; the config lists, with reasons, the few things it may not see.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

describe('dead code (knip.jsonc)', () => {
  it('finds no unused file, export, type or dependency', async () => {
    const bin = join(root, 'node_modules', '.bin', 'knip');
    // knip exits 1 when it finds something; its report is on stdout either way.
    const result = await run(bin, ['--no-progress', '--reporter', 'compact'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.stdout.trim(), `knip findings:\n${result.stdout}`).toBe('');
    expect(result.code).toBe(0);
    // knip reads the whole tree: seconds on a busy machine.
  }, 60_000);
});
