// The house rules of DESIGN.md "Layout" (no cycles between files or rooms, rooms entered through index.ts, each room
// using only what its "may use" column names), checked by dependency-cruiser with .dependency-cruiser.cjs.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
  readonly cycle?: readonly { readonly name: string }[];
}

/** Cruises `src/` under `cwd` with the house rules and returns every violation. */
async function cruise(cwd: string): Promise<Violation[]> {
  const bin = join(root, 'node_modules', '.bin', 'depcruise');
  const args = ['--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src'];
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way.
  const { stdout } = await run(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string }) => {
    if (!error.stdout) throw error;
    return { stdout: error.stdout };
  });
  const report = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return report.summary.violations;
}

function describeViolation(v: Violation): string {
  const via = v.cycle && v.cycle.length > 0 ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')})` : '';
  return `${v.rule.name}: ${v.from} → ${v.to}${via}`;
}

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('src/ keeps every house rule', async () => {
    const violations = (await cruise(root)).map(describeViolation);
    expect(violations, `import-rule violations:\n${violations.join('\n')}`).toEqual([]);
    // dependency-cruiser reads the whole tree: seconds on a busy machine.
  }, 60_000);

  describe('the rules can fail', () => {
    let dir: string | undefined;
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('reports a file cycle, a room cycle, an inner-file import and a use the table does not allow', async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-house-'));
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }),
        // logs/ ↔ store/: a room cycle, and logs/ may use store/ but store/ may use nothing.
        'src/store/index.ts': "import { line } from '../logs/index.js';\nexport const store = line;\n",
        'src/logs/index.ts': "export { line } from './format.js';\n",
        'src/logs/format.ts': "import { store } from '../store/index.js';\nexport const line = (): unknown => store;\n",
        // Two files of apps/ importing each other.
        'src/apps/index.ts': "export { a } from './a.js';\n",
        'src/apps/a.ts': "import { b } from './b.js';\nexport const a = (): unknown => b;\n",
        'src/apps/b.ts': "import { a } from './a.js';\nimport { secret } from '../tls/inner.js';\nexport const b = (): unknown => [a, secret];\n",
        'src/tls/index.ts': "export const tls = 1;\n",
        'src/tls/inner.ts': "export const secret = 1;\n",
        'src/tls/broken.ts': "import { gone } from './missing.js';\nexport const broken = gone;\n",
      };
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      const violations = await cruise(dir);
      const rules = new Set(violations.map((v) => v.rule.name));
      // `.js` specifiers resolved to the `.ts` files, or none of these would be seen.
      expect([...rules].sort()).toEqual(['enter-through-index', 'may-use:apps', 'may-use:store', 'no-file-cycle', 'no-room-cycle', 'resolvable']);
      expect(violations.map(describeViolation)).toContain('may-use:store: src/store/index.ts → src/logs/index.ts');
      expect(violations.map(describeViolation)).toContain('enter-through-index: src/apps/b.ts → src/tls/inner.ts');
    }, 60_000);
  });
});
