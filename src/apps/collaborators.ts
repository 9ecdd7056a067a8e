// An app's collaborators (`access`, `access:add`, `access:remove`): the owner (the one local account, never stored)
// and whoever was added by email. Locally every collaborator acts as the one account: there is one API key, so being
// listed grants nothing more; the list is kept for tools that read or manage it.
import { createHash, randomUUID } from 'node:crypto';
import { uuidFromHex } from '../ids.js';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord } from '../contracts/records.js';
import type { CollaboratorView } from '../contracts/resources.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Store } from '../store/index.js';

/** One shape, shared with the webhooks' `resource.changed` facts. */
export type Collaborator = CollaboratorView;

/** An email address as Heroku takes one: something@something.tld, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A stable id derived from a name (owner rows and users Berth never stored have fixed ids). */
function derivedId(seed: string): string {
  const hash = createHash('sha256').update(seed).digest('hex');
  return uuidFromHex(hash, 4);
}

export class CollaboratorsService {
  readonly #store: Store;
  readonly #account: () => Account;
  readonly #events: EventBus;

  constructor(store: Store, account: () => Account, events: EventBus) {
    this.#store = store;
    this.#account = account;
    this.#events = events;
  }

  list(app: AppRecord): Collaborator[] {
    const account = this.#account();
    const owner: Collaborator = {
      id: derivedId(`collaborator:${app.id}:${account.id}`),
      appId: app.id,
      appName: app.name,
      email: account.email,
      userId: account.id,
      role: 'owner',
      createdAt: app.createdAt,
      updatedAt: app.createdAt,
    };
    const added = this.#store.collaborators.listByApp(app.id).map(
      (c): Collaborator => ({ id: c.id, appId: app.id, appName: app.name, email: c.email, userId: c.userId, role: 'collaborator', createdAt: c.createdAt, updatedAt: c.updatedAt }),
    );
    return [owner, ...added];
  }

  /** By the collaborator's id, the user's id or the email, as `/apps/{app}/collaborators/{id}` allows. */
  get(app: AppRecord, identity: string): Collaborator {
    const wanted = identity.toLowerCase();
    const found = this.list(app).find((c) => c.id === wanted || c.userId === wanted || c.email.toLowerCase() === wanted);
    if (found === undefined) raise('collaborator_not_found');
    return found;
  }

  add(app: AppRecord, user: string): Collaborator {
    const email = user.trim().toLowerCase();
    if (!EMAIL.test(email)) raise('collaborator_email_invalid', { email: user });
    if (this.list(app).some((c) => c.email.toLowerCase() === email)) raise('collaborator_already_added', { email, app: app.name });
    const now = apiTimestamp();
    const record = this.#store.collaborators.insert({ id: randomUUID(), appId: app.id, email, userId: derivedId(`user:${email}`), createdAt: now, updatedAt: now });
    const collaborator = this.get(app, record.id);
    this.#events.emit('resource.changed', { appId: app.id, resource: 'collaborator', collaborator, action: 'create' });
    return collaborator;
  }

  remove(app: AppRecord, identity: string): Collaborator {
    const collaborator = this.get(app, identity);
    if (collaborator.role === 'owner') raise('collaborator_owner_unremovable');
    this.#store.collaborators.delete(collaborator.id);
    this.#events.emit('resource.changed', { appId: app.id, resource: 'collaborator', collaborator, action: 'destroy' });
    return collaborator;
  }
}
