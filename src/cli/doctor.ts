// `berth doctor [dir]`: the app in a directory checked against Heroku's advice, before any push. Findings are advice:
// the command exits 0 with or without them (as the push goes on); `--json` prints them for scripts. With an app
// (`-a`), what its dynos wrote outside /tmp before they last stopped (the engine's diff of each container) is checked too.
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { checkDiskWrites, examine, treeFromDirectory, type DynoWrites } from '../doctor/index.js';

export async function doctor(dir: string, options: { json: boolean; out: Writable; written?: readonly DynoWrites[] }): Promise<void> {
  const findings = [...examine(await treeFromDirectory(resolve(dir))), ...checkDiskWrites(options.written ?? [])];
  if (options.json) {
    options.out.write(`${JSON.stringify({ findings }, null, 2)}\n`);
    return;
  }
  if (findings.length === 0) {
    options.out.write(`No findings: nothing in ${dir} goes against Heroku's advice.\n`);
    return;
  }
  options.out.write(`=== ${findings.length} ${findings.length === 1 ? 'finding' : 'findings'} in ${dir}\n\n`);
  for (const finding of findings) options.out.write(` !     ${finding.message}\n       Fix: ${finding.fix}\n\n`);
}
