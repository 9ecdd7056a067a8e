// What `docker import --change` and `docker commit --change` do to an image's labels and environment, and
// Docker's label filters (`key=value`, or `key` for any value), for the memory engine.

/** Applies LABEL and ENV instructions; other instructions (WORKDIR, CMD, USER) change nothing the port reports. */
export function applyChanges(
  labels: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string>>,
  changes: readonly string[],
): { labels: Record<string, string>; env: Record<string, string> } {
  const out = { labels: { ...labels }, env: { ...env } };
  for (const change of changes) {
    const [instruction = '', ...rest] = change.trim().split(/\s+/);
    const target = instruction.toUpperCase() === 'LABEL' ? out.labels : instruction.toUpperCase() === 'ENV' ? out.env : undefined;
    if (target === undefined) continue;
    for (const pair of rest) {
      const eq = pair.indexOf('=');
      if (eq > 0) target[unquote(pair.slice(0, eq))] = unquote(pair.slice(eq + 1));
    }
  }
  return out;
}

function unquote(text: string): string {
  return text.replace(/^"(.*)"$/, '$1');
}

export function matchesLabelFilters(labels: Readonly<Record<string, string>>, filters: readonly string[]): boolean {
  return filters.every((filter) => {
    const eq = filter.indexOf('=');
    return eq === -1 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
  });
}
