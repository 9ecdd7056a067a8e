// A Dockerfile read as the engine reads it, into instructions: the memory engine builds from them, and the image
// builder checks what a Dockerfile will ask of an offline engine (its FROM images, ADD of URLs) before it starts.

interface DockerfileInstruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile lines as instructions: comments and blank lines dropped, `\` continuations joined. */
export function dockerfileInstructions(text: string): DockerfileInstruction[] {
  const out: DockerfileInstruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = `${pending}${line}`.trim();
    pending = '';
    const space = whole.search(/\s/);
    out.push({ keyword: (space === -1 ? whole : whole.slice(0, space)).toUpperCase(), args: space === -1 ? '' : whole.slice(space + 1).trim() });
  }
  return out;
}

