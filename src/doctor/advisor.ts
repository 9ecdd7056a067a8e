// The push's doctor: the source tarball a build compiled, checked with what the build learnt, as lines for the
// build output. Advice only: whatever goes wrong here is the caller's to log, never the build's to fail on.
import type { BuildFacts } from './app.js';
import { examine } from './examine.js';
import { PUSH_LINES } from './findings.js';
import { treeFromTarball } from './tree.js';

export class SourceAdvisor {
  /** The push output's lines for this source: none when the app follows Heroku's advice. */
  async advise(sourceFile: string, facts: BuildFacts): Promise<string[]> {
    const findings = examine(await treeFromTarball(sourceFile), facts);
    if (findings.length === 0) return [];
    return [PUSH_LINES.heading(findings.length), ...findings.flatMap((finding) => [PUSH_LINES.message(finding), PUSH_LINES.fix(finding)])];
  }
}
