// Checks of how the app's processes start: is there anything to start, does web bind $PORT, does the release
// phase migrate safely.
import { entryFiles, expandCommand, sourceFiles, type AppSource } from './app.js';
import { FINDINGS, type Finding } from './findings.js';

export function checkProcessTypes(app: AppSource): Finding[] {
  return Object.keys(app.processTypes).length === 0 ? [FINDINGS.noProcessType()] : [];
}

/** A literal port where the code listens (Node.js `listen(3000)`, Python servers) or the command binds. */
const LISTEN_PATTERNS: readonly RegExp[] = [
  /\.listen\(\s*(\d{2,5})\s*[,)]/,
  /\.listen\(\s*\{[^}]*\bport\s*:\s*(\d{2,5})\b/,
  /\b(?:HTTPServer|ThreadingHTTPServer|TCPServer)\(\s*\(\s*['"][^'"]*['"]\s*,\s*(\d{2,5})\s*\)/,
  /\.run\([^)]*\bport\s*=\s*(\d{2,5})\b/,
];
const COMMAND_PORT: readonly RegExp[] = [/(?:--bind|-b)[= ]\S*:(\d{2,5})\b/, /(?:--port|-p)[= ](\d{2,5})\b/];

export function checkFixedPort(app: AppSource): Finding[] {
  const web = app.processTypes['web'];
  if (web === undefined) return [];
  const command = expandCommand(app, web);
  for (const pattern of COMMAND_PORT) {
    const port = pattern.exec(command)?.[1];
    if (port !== undefined) return [FINDINGS.fixedPort(port, `the web command \`${command}\``)];
  }
  // The files the command starts; when it names none (gunicorn app:app), every source file.
  const entries = entryFiles(app, web);
  for (const file of entries.length > 0 ? entries : sourceFiles(app.tree)) {
    const text = app.tree.text(file) ?? '';
    for (const pattern of LISTEN_PATTERNS) {
      const port = pattern.exec(text)?.[1];
      if (port !== undefined) return [FINDINGS.fixedPort(port, file)];
    }
  }
  return [];
}

const MIGRATES = /migrat|alembic\s+upgrade|db:push/i;
/** Tools that hold a lock while they migrate: ActiveRecord (advisory lock), Prisma, knex, node-pg-migrate, Flyway, Liquibase. */
const LOCKING_TOOLS = /\b(rails|rake)\s+db:migrate|\bprisma\s+migrate|\bknex\s+migrate|node-pg-migrate|\bflyway\b|\bliquibase\b|lock/i;

export function checkReleaseMigration(app: AppSource): Finding[] {
  const release = app.procfile?.['release'] ?? app.processTypes['release'];
  if (release === undefined) return [];
  const command = expandCommand(app, release);
  return MIGRATES.test(command) && !LOCKING_TOOLS.test(command) ? [FINDINGS.releaseMigratesWithoutLock(command)] : [];
}
