import type { DynoChanges, DynoRecord, FormationRecord } from '../contracts/records.js';
import type { DynoState } from '../contracts/routing.js';
import type { Db } from './database.js';

interface FormationRow {
  id: string;
  app_id: string;
  type: string;
  quantity: number;
  size: string;
  command: string;
  created_at: string;
  updated_at: string;
}

interface DynoRow {
  id: string;
  app_id: string;
  name: string;
  type: string;
  command: string;
  size: string;
  state: DynoState;
  release_id: string;
  release_version: number;
  container_id: string | null;
  port: number | null;
  attach_secret: string | null;
  created_at: string;
  updated_at: string;
}

const toFormation = (r: FormationRow): FormationRecord => ({
  id: r.id,
  appId: r.app_id,
  type: r.type,
  quantity: r.quantity,
  size: r.size,
  command: r.command,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toDyno = (r: DynoRow): DynoRecord => ({
  id: r.id,
  appId: r.app_id,
  name: r.name,
  type: r.type,
  command: r.command,
  size: r.size,
  state: r.state,
  releaseId: r.release_id,
  releaseVersion: r.release_version,
  containerId: r.container_id,
  port: r.port,
  attachSecret: r.attach_secret,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});


const DYNO_COLUMNS: readonly (readonly [keyof DynoChanges, string])[] = [
  ['state', 'state'],
  ['containerId', 'container_id'],
  ['port', 'port'],
  ['releaseId', 'release_id'],
  ['releaseVersion', 'release_version'],
  ['command', 'command'],
  ['size', 'size'],
];

export class DynosRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  formation(appId: string): FormationRecord[] {
    return (this.#db.prepare('SELECT * FROM formations WHERE app_id = ? ORDER BY type').all(appId) as FormationRow[]).map(toFormation);
  }

  upsertFormation(f: FormationRecord): void {
    this.#db
      .prepare(
        `INSERT INTO formations (id, app_id, type, quantity, size, command, created_at, updated_at)
         VALUES (@id, @appId, @type, @quantity, @size, @command, @createdAt, @updatedAt)
         ON CONFLICT (app_id, type) DO UPDATE SET quantity = excluded.quantity, size = excluded.size,
           command = excluded.command, updated_at = excluded.updated_at`,
      )
      .run(f);
  }

  deleteFormation(appId: string, type: string): void {
    this.#db.prepare('DELETE FROM formations WHERE app_id = ? AND type = ?').run(appId, type);
  }

  dynos(appId: string): DynoRecord[] {
    return (this.#db.prepare('SELECT * FROM dynos WHERE app_id = ? ORDER BY name').all(appId) as DynoRow[]).map(toDyno);
  }

  allDynos(): DynoRecord[] {
    return (this.#db.prepare('SELECT * FROM dynos').all() as DynoRow[]).map(toDyno);
  }

  insertDyno(d: DynoRecord): void {
    this.#db
      .prepare(
        `INSERT INTO dynos (id, app_id, name, type, command, size, state, release_id, release_version, container_id, port,
           attach_secret, created_at, updated_at)
         VALUES (@id, @appId, @name, @type, @command, @size, @state, @releaseId, @releaseVersion, @containerId, @port,
           @attachSecret, @createdAt, @updatedAt)`,
      )
      .run(d);
  }

  /** A dyno's state, its instance (container and port), and what that instance runs (release, command, size). */
  updateDyno(id: string, changes: DynoChanges, updatedAt: string): void {
    const sets = ['updated_at = @updatedAt'];
    const params: Record<string, string | number | null> = { id, updatedAt };
    for (const [field, column] of DYNO_COLUMNS) {
      const value = changes[field];
      if (value === undefined) continue;
      sets.push(`${column} = @${field}`);
      params[field] = value;
    }
    this.#db.prepare(`UPDATE dynos SET ${sets.join(', ')} WHERE id = @id`).run(params);
  }

  deleteDyno(id: string): void {
    this.#db.prepare('DELETE FROM dynos WHERE id = ?').run(id);
  }
}
