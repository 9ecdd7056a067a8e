// TAP (the Test Anything Protocol) in a test's output, as Heroku CI reads it into test cases (S:test-case; DC:testpack-api):
// `ok 1 - adds`, `not ok 2 - subtracts # TODO later`, then diagnostics: `#` comment lines and a YAML block (`---` to
// `...`) indented under a test line belong to it, until the plan (`1..N`). Lines that are not TAP are ignored.

export interface TapCase {
  readonly number: number;
  readonly description: string;
  readonly passed: boolean;
  /** `SKIP <reason>` or `TODO <reason>` as written, else empty. */
  readonly directive: string;
  /** The comment lines and YAML block after the test line, without their markers; empty when none. */
  readonly diagnostic: string;
}

const TEST_LINE = /^(not )?ok\b(?:\s+(\d+))?\s*(?:-\s*)?(.*)$/;
const DIRECTIVE = /\s#\s*((?:SKIP|TODO)\b.*)$/i;

export function parseTap(output: string): TapCase[] {
  const cases: Array<{ number: number; description: string; passed: boolean; directive: string; diagnostic: string[] }> = [];
  let inYaml = false;
  // Comments after the plan (`# tests 3`, `# pass 2`: node --test's summary) belong to no test.
  let afterPlan = false;
  for (const raw of output.split(/\r?\n/)) {
    const current = afterPlan ? undefined : cases.at(-1);
    if (inYaml) {
      if (/^\s+\.\.\.\s*$/.test(raw)) inYaml = false;
      else current?.diagnostic.push(raw.replace(/^\s{2,4}/, ''));
      continue;
    }
    if (current && /^\s+---\s*$/.test(raw)) {
      inYaml = true;
      continue;
    }
    const line = raw.trim();
    if (/^\d+\.\.\d+/.test(line)) {
      afterPlan = true;
      continue;
    }
    const test = TEST_LINE.exec(line);
    if (test) {
      const rest = test[3] ?? '';
      const directive = DIRECTIVE.exec(rest);
      afterPlan = false;
      cases.push({
        number: test[2] === undefined ? (cases.at(-1)?.number ?? 0) + 1 : Number(test[2]),
        description: (directive ? rest.slice(0, directive.index) : rest).trim(),
        passed: test[1] === undefined,
        directive: directive?.[1]?.trim() ?? '',
        diagnostic: [],
      });
      continue;
    }
    if (current && line.startsWith('#')) current.diagnostic.push(line.replace(/^#\s?/, ''));
  }
  return cases.map((c) => ({ ...c, diagnostic: c.diagnostic.join('\n') }));
}
