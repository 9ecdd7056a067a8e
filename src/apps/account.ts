// The one local account: `GET /account` reads it, `PATCH /account` renames it. Its id and email follow the settings
// (BERTH_ACCOUNT_ID, BERTH_ACCOUNT_EMAIL), so only the name is the user's to change here.
import type { Account } from '../contracts/records.js';
import type { Store } from '../store/index.js';

export class AccountService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  current(): Account {
    return this.#store.account.current();
  }

  update(changes: { readonly name?: string | null | undefined }): Account {
    if (changes.name !== undefined && changes.name !== null) this.#store.account.rename(changes.name.trim());
    return this.current();
  }
}
