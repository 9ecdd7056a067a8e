import type { Account } from '../contracts/records.js';
import type { Db } from './database.js';

export class AccountRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The one local account; its id and email follow the settings, its creation time stays. */
  ensure(id: string, email: string, name: string, now: string): Account {
    const row = this.#db.prepare('SELECT id, email, name, created_at FROM account LIMIT 1').get() as
      | { id: string; email: string; name: string; created_at: string }
      | undefined;
    if (!row) {
      this.#db.prepare('INSERT INTO account (id, email, name, created_at) VALUES (?, ?, ?, ?)').run(id, email, name, now);
      return { id, email, name, createdAt: now };
    }
    if (row.id !== id || row.email !== email) {
      this.#db.prepare('UPDATE account SET id = ?, email = ? WHERE id = ?').run(id, email, row.id);
    }
    return { id, email, name: row.name, createdAt: row.created_at };
  }

  /** The one account (made by `ensure` at start). */
  current(): Account {
    const row = this.#db.prepare('SELECT id, email, name, created_at FROM account LIMIT 1').get() as { id: string; email: string; name: string; created_at: string };
    return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
  }

  rename(name: string): void {
    this.#db.prepare('UPDATE account SET name = ?').run(name);
  }
}
