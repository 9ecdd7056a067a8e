// Add-ons on real servers: provisioning (a server container per add-on, started before the API answers, so an add-on
// is `provisioned` when the client first sees it), attachments (config vars in a release described as Heroku does),
// resolving the identifiers the heroku CLI passes, destroy, and recovery of stopped servers on start.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddonConfigChange } from '../apps/index.js';
import { apiTimestamp } from '../clock.js';
import type { AppRecord, ReleaseRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import { AppQueues } from '../queue.js';
import type { EventBus } from '../events.js';
import { ADDON_LINES, addonLogSource, type Logplex } from '../logs/index.js';
import { containerName, type Runtime } from '../runtime/index.js';
import type { AddonRecord, AttachmentRecord, CredentialRecord, Store } from '../store/index.js';
import { findPlan, findService, planOf, type AddonPlan, type AddonService } from './catalogue.js';
import { defaultAttachmentName, generateAddonName, validateAddonName, validateAttachmentName } from './names.js';
import { Backups, type Transfer } from './backups.js';
import { createRole, dropRole, postgresFacts, redisInfo, resetPostgres, rotatePasswords, type PostgresFacts } from './inspect.js';
import { allocatePorts } from './ports.js';
import { serverSpec, volumeName, type ServerCertificate } from './servers.js';
import { addonUrl } from './urls.js';

/** What add-ons/ asks of apps/: find apps, and change their config vars in an add-on release. */
export interface AddonApps {
  get(nameOrId: string): AppRecord;
  changeAddonConfig(appId: string, change: AddonConfigChange): ReleaseRecord;
}

export interface AddonsDeps {
  readonly store: Store;
  readonly runtime: Runtime;
  readonly apps: AddonApps;
  /** Builds the add-on image when it is missing (stack/). */
  readonly ensureImage: () => Promise<void>;
  /** A certificate from the local CA for 127.0.0.1, the advertise address and localhost. */
  readonly certificate: () => ServerCertificate;
  /** Resolves once the add-on's server answers queries (servers.ts `waitReady` in the daemon). */
  readonly ready: (addon: AddonRecord, service: AddonService) => Promise<void>;
  readonly report: (error: unknown, what: string) => void;
  /** The apps' logs: a server that stops and comes back, a plan change (logs/lines/addons.ts). */
  readonly logplex: Pick<Logplex, 'write'>;
  /** Where add-on and attachment changes are announced (app webhooks' `api:addon`, `api:addon-attachment`). */
  readonly events: EventBus;
}

export interface AddonsOptions {
  readonly image: string;
  /** Backups (`pg_dump` files) and their transfer lists live under `<dataDir>/addons`. */
  readonly dataDir: string;
  readonly ports: { readonly min: number; readonly max: number };
  /**
   * Where dynos reach the add-on servers (the manager's advertise address; default 127.0.0.1): their URLs name it and
   * the servers listen on it besides 127.0.0.1.
   */
  readonly advertiseAddress?: string;
}

/** `POST /apps/{app}/addons`: plan as a string or `{name}`; `config` values may be booleans. */
export interface CreateAddonRequest {
  readonly plan: string | { readonly name: string };
  readonly name?: string | null | undefined;
  readonly attachment?: { readonly name?: string | null | undefined } | null | undefined;
  readonly config?: Readonly<Record<string, unknown>> | null | undefined;
}

/** An add-on with what its shapes need: catalogue entries, owning app, its attachments' config vars. */
export interface AddonView {
  readonly addon: AddonRecord;
  readonly service: AddonService;
  readonly plan: AddonPlan;
  readonly app: AppRecord;
  readonly configVars: readonly string[];
}

export interface AttachmentView {
  readonly attachment: AttachmentRecord;
  readonly addon: AddonView;
  readonly app: AppRecord;
}

/** A credential as the data API answers it: the default one is the add-on's own role. */
interface CredentialView {
  readonly name: string;
  readonly username: string;
  readonly password: string;
}

/** Heroku's credential names [U]: lowercase, a letter first, short enough for a Postgres role (`pg_` is Postgres'). */
const CREDENTIAL_NAME = /^(?!pg_)[a-z][a-z0-9_]{0,39}$/;
const CREDENTIAL_NAMESPACE = /^credential:(.+)$/;
/** Roles every Postgres server has (`pg_*` ones are refused by CREDENTIAL_NAME already). */
const RESERVED_ROLES = new Set(['postgres', 'public']);

/** Restarts of a server that stops on its own before Berth leaves it down (a crash loop). */
const MAX_RESTARTS = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Where the daemon itself reaches the add-on servers (their readiness probe, pg:info's queries). */
const LOOPBACK = '127.0.0.1';

const configVarOf = (attachment: Pick<AttachmentRecord, 'name'>): string => `${attachment.name}_URL`;

export class AddonsService {
  readonly #deps: AddonsDeps;
  readonly #options: AddonsOptions;
  /** Ports handed out whose add-on row is not written yet. */
  readonly #reserved = new Set<number>();
  /** Restarts of a server that stopped on its own, per add-on, in this daemon's life (a crash loop stops at the cap). */
  readonly #restarts = new Map<string, number>();
  /** The plan change under way per add-on id (`addons:upgrade`): the next one waits for it. */
  readonly #planChanges = new Map<string, Promise<unknown>>();
  /** Credential rotations and destroys, one at a time per add-on id: each runs with the passwords the last one stored. */
  readonly #credentialChanges = new AppQueues();
  #detached = false;
  readonly #backups: Backups;

  constructor(deps: AddonsDeps, options: AddonsOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#backups = new Backups(deps.runtime, { dataDir: options.dataDir, image: options.image, host: this.serverHost });
  }

  /** The host add-on URLs name: where a dyno on any node reaches the add-on servers. */
  get serverHost(): string {
    return this.#options.advertiseAddress ?? LOOPBACK;
  }

  // ---- provisioning -----------------------------------------------------------------------------------------------

  async create(appRef: string, request: CreateAddonRequest): Promise<AddonView> {
    const { store } = this.#deps;
    const app = this.#deps.apps.get(appRef);
    const planRef = typeof request.plan === 'string' ? request.plan : request.plan.name;
    const found = findPlan(planRef);
    if (found === undefined) raise('addon_plan_not_found', { plan: planRef });
    const { service, plan } = found;
    const wantedName = request.name ?? undefined;
    if (wantedName !== undefined) {
      validateAddonName(wantedName);
      if (store.addons.nameTaken(wantedName)) raise('addon_name_taken');
    }
    const wantedAttachment = request.attachment?.name ?? undefined;
    const attachmentName = wantedAttachment !== undefined && wantedAttachment !== '' ? validateAttachmentName(wantedAttachment) : undefined;
    if (attachmentName !== undefined && this.#attachmentTaken(app.id, attachmentName)) raise('attachment_name_taken', { name: attachmentName });

    const width = service.kind === 'redis' ? 2 : 1;
    const port = await allocatePorts(this.#options.ports, width, [...store.addons.portsInUse(), ...this.#reserved]);
    for (let i = 0; i < width; i++) this.#reserved.add(port + i);
    let addon: AddonRecord;
    let attachment: AttachmentRecord;
    try {
      [addon, attachment] = store.transaction(() => {
        const name = wantedName ?? generateAddonName(service, (n) => store.addons.nameTaken(n));
        if (store.addons.nameTaken(name)) raise('addon_name_taken');
        const attachName = attachmentName ?? defaultAttachmentName(service, (n) => this.#attachmentTaken(app.id, n));
        if (this.#attachmentTaken(app.id, attachName)) raise('attachment_name_taken', { name: attachName });
        const now = apiTimestamp();
        const record = store.addons.insert({
          id: randomUUID(),
          name,
          appId: app.id,
          service: service.name,
          plan: plan.name,
          state: 'provisioning',
          port,
          // Heroku's credentials look like these: a role `u…`, a database `d…`, a long random password.
          username: `u${randomBytes(7).toString('hex')}`,
          password: `p${randomBytes(32).toString('hex')}`,
          database: `d${randomBytes(7).toString('hex')}`,
          containerId: null,
          createdAt: now,
          updatedAt: now,
        });
        const attached = store.addons.insertAttachment({ id: randomUUID(), addonId: record.id, appId: app.id, name: attachName, namespace: null, createdAt: now, updatedAt: now });
        return [record, attached] as const;
      });
    } finally {
      for (let i = 0; i < width; i++) this.#reserved.delete(port + i);
    }
    try {
      await this.#startServer(addon, app);
    } catch (error) {
      await this.#removeServer(addon).catch(() => undefined);
      store.addons.delete(addon.id);
      this.#deps.report(error, `provisioning ${addon.name} failed`);
      raise('addon_provision_failed', { name: addon.name });
    }
    store.transaction(() => {
      store.addons.update(addon.id, { state: 'provisioned' }, apiTimestamp());
      this.#attachConfig(app, this.#addonRecord(addon.id), attachment, 'attach');
    });
    const provisioned = this.#addonRecord(addon.id);
    this.#watch(provisioned);
    const view = this.view(provisioned);
    this.#announceAddon(view, 'create');
    const stored = this.#deps.store.addons.attachment(attachment.id);
    if (stored !== undefined) this.#announceAttachment(this.attachmentView(stored), 'create');
    return view;
  }

  /**
   * `PATCH /apps/{app}/addons/{addon}`: another plan of the same service. What the plan changes here is the server's
   * connection limit (`max_connections`, Redis' `maxclients`), so the server restarts on its volume with the new
   * one; every app it is attached to gets an `Update <ATTACHMENT> by <service>` release (the plan names of its
   * releases change; the URL does not) and a line in its log. Storage limits stay advisory.
   */
  async changePlan(appRef: string, addonRef: string, planRef: string): Promise<AddonView> {
    const app = this.#deps.apps.get(appRef);
    const { id } = this.#addonOf(app, addonRef);
    const found = findPlan(planRef);
    // One plan change of an add-on at a time: two at once would each start a server on the same volume.
    const previous = this.#planChanges.get(id) ?? Promise.resolve();
    const change = previous.catch(() => undefined).then(() => this.#changePlan(id, found, planRef));
    this.#planChanges.set(id, change);
    try {
      return await change;
    } finally {
      if (this.#planChanges.get(id) === change) this.#planChanges.delete(id);
    }
  }

  async #changePlan(id: string, found: ReturnType<typeof findPlan>, planRef: string): Promise<AddonView> {
    const addon = this.#addonRecord(id);
    if (found === undefined || found.service.name !== addon.service) raise('addon_plan_not_found', { plan: planRef });
    if (found.plan.name === addon.plan) return this.view(addon);
    const before = this.view(addon).plan;
    const { store } = this.#deps;
    // The row first: the watch of the old server then ignores its stop.
    store.addons.update(addon.id, { plan: found.plan.name, containerId: null }, apiTimestamp());
    const changed = this.#addonRecord(addon.id);
    if (addon.containerId !== null) await this.#deps.runtime.remove(addon.containerId);
    try {
      await this.#startServer(changed, this.#deps.apps.get(changed.appId));
    } catch (error) {
      // The new plan's server would not start: the add-on goes back to its plan and its server, and says why.
      store.addons.update(addon.id, { plan: addon.plan, containerId: null }, apiTimestamp());
      await this.#startServer(this.#addonRecord(addon.id), this.#deps.apps.get(addon.appId)).catch(() => undefined);
      throw error;
    } finally {
      this.#watch(this.#addonRecord(addon.id));
    }
    this.#announce(changed, (attachment) => ADDON_LINES.planChanged(attachment, addon.name, addon.plan, found.plan.name, found.plan.connections));
    store.transaction(() => {
      for (const attachment of store.addons.attachmentsOfAddon(addon.id)) {
        if (store.apps.getById(attachment.appId) === undefined) continue;
        this.#deps.apps.changeAddonConfig(attachment.appId, {
          kind: 'update',
          attachment: attachment.name,
          addon: found.service.name,
          set: { [configVarOf(attachment)]: this.#urlOf(changed, attachment) },
          unset: [],
          addonPlanNames: this.#planNamesOf(attachment.appId),
        });
      }
    });
    const view = this.view(this.#addonRecord(addon.id));
    this.#announceAddon(view, 'update', { plan: { id: before.id, name: `${addon.service}:${before.name}` } });
    return view;
  }

  /** `DELETE /apps/{app}/addons/{addon}`: every attachment is detached (one release each), then the server and its data go. */
  async destroy(appRef: string, addonRef: string): Promise<AddonView> {
    const app = this.#deps.apps.get(appRef);
    const addon = this.#addonOf(app, addonRef);
    if (addon.appId !== app.id) raise('addon_not_on_app', { addon: addon.name, app: app.name });
    const view = this.view(addon);
    const attachments = this.#deps.store.addons.attachmentsOfAddon(addon.id).map((a) => this.attachmentView(a));
    this.#deps.store.transaction(() => {
      for (const attachment of this.#deps.store.addons.attachmentsOfAddon(addon.id)) {
        this.#detachConfig(attachment, addon);
      }
      this.#deps.store.addons.delete(addon.id);
    });
    await this.#removeServer(addon);
    const gone: AddonView = { ...view, addon: { ...addon, state: 'deprovisioned' } };
    for (const attachment of attachments) this.#announceAttachment(attachment, 'destroy');
    this.#announceAddon(gone, 'destroy');
    return gone;
  }

  /** app.destroyed: its add-ons go with their data; attachments it held on other apps' add-ons are removed. */
  async removeApp(appId: string): Promise<void> {
    const { store } = this.#deps;
    // Before any await: this runs right after the app's row is committed away, and an attachment left pointing at a
    // missing app would make its add-on's attachment list answer "Couldn't find that app".
    for (const attachment of store.addons.attachmentsOfApp(appId)) store.addons.deleteAttachment(attachment.id);
    await this.#backups.removeApp(appId);
    for (const addon of store.addons.listByApp(appId)) {
      store.transaction(() => {
        for (const attachment of store.addons.attachmentsOfAddon(addon.id)) this.#detachConfig(attachment, addon);
        store.addons.delete(addon.id);
      });
      await this.#removeServer(addon);
    }
  }

  /** On start: every provisioned add-on's server runs again (adopted if it still runs, else started on its volume). */
  async recover(): Promise<void> {
    const { store, runtime } = this.#deps;
    const known = new Set<string>();
    for (const addon of store.addons.list()) {
      if (addon.state !== 'provisioned') {
        // A daemon killed while provisioning: that add-on never existed for the client.
        await this.#removeServer(addon).catch(() => undefined);
        store.addons.delete(addon.id);
        continue;
      }
      if (addon.containerId !== null && (await runtime.state(addon.containerId)).running) {
        known.add(addon.containerId);
        this.#watch(addon);
        continue;
      }
      try {
        const app = this.#deps.apps.get(addon.appId);
        if (addon.containerId !== null) await runtime.remove(addon.containerId);
        await this.#startServer(addon, app);
        const started = this.#addonRecord(addon.id);
        if (started.containerId !== null) known.add(started.containerId);
        this.#watch(started);
      } catch (error) {
        this.#deps.report(error, `restarting the server of ${addon.name} failed`);
      }
    }
    // Servers of add-ons no row knows (a destroy interrupted before the container went).
    for (const container of await runtime.listByLabel({ role: 'addon' })) {
      if (!known.has(container.id)) await runtime.remove(container.id);
    }
  }

  /** Daemon shutdown: servers keep running (the next daemon adopts them) and are no longer watched. */
  detachAll(): void {
    this.#detached = true;
  }

  /**
   * A server that stops on its own (killed, crashed) is started again on its volume, so the add-on comes back with
   * its data and the app's dynos reconnect; the apps it is attached to read it in their logs. A destroy or a
   * replacement changes the row first, so its stop is ignored.
   */
  #watch(addon: AddonRecord): void {
    const { runtime, store } = this.#deps;
    const containerId = addon.containerId;
    if (containerId === null) return;
    void runtime
      .wait(containerId)
      .then(async (state) => {
        const current = store.addons.get(addon.id);
        if (this.#detached || current === undefined || current.containerId !== containerId || current.state !== 'provisioned') return;
        const restarts = (this.#restarts.get(addon.id) ?? 0) + 1;
        this.#restarts.set(addon.id, restarts);
        if (restarts > MAX_RESTARTS) {
          this.#deps.report(new Error(`exit status ${state.exitCode}`), `the server of ${addon.name} keeps stopping; it stays down until the next start`);
          this.#announce(current, (attachment) => ADDON_LINES.serverDown(attachment, current.name, MAX_RESTARTS));
          return;
        }
        this.#deps.report(new Error(`exit status ${state.exitCode}`), `the server of ${addon.name} stopped; starting it again`);
        this.#announce(current, (attachment) => ADDON_LINES.serverStopped(attachment, current.name, state.exitCode));
        await runtime.remove(containerId);
        await this.#startServer(current, this.#deps.apps.get(current.appId));
        const started = this.#addonRecord(addon.id);
        this.#announce(started, (attachment) => ADDON_LINES.serverAvailable(attachment, started.name));
        this.#watch(started);
      })
      .catch((error: unknown) => {
        if (!this.#detached) this.#deps.report(error, `watching the server of ${addon.name} failed`);
      });
  }

  /** One line in the log of every app the add-on is attached to, naming the attachment as that app knows it. */
  #announce(addon: AddonRecord, line: (attachment: string) => string): void {
    const { kind } = planOf(addon.service, addon.plan).service;
    for (const attachment of this.#deps.store.addons.attachmentsOfAddon(addon.id)) {
      this.#deps.logplex.write(attachment.appId, 'app', addonLogSource(kind), line(attachment.name));
    }
  }

  async #startServer(addon: AddonRecord, app: AppRecord): Promise<void> {
    const { runtime } = this.#deps;
    const { service, plan } = planOf(addon.service, addon.plan);
    await this.#deps.ensureImage();
    // Labelled with its app, so the volume belongs to this Berth instance (a throwaway Berth's teardown removes it).
    await runtime.ensureVolume(volumeName(addon), { 'berth.app': addon.appId, 'berth.addon': addon.id });
    const id = await runtime.start(
      serverSpec({
        addon,
        kind: service.kind,
        plan,
        image: this.#options.image,
        certificate: this.#deps.certificate(),
        containerName: containerName(app.name, addon.name),
        listen: [...new Set([LOOPBACK, this.serverHost])],
      }),
    );
    this.#deps.store.addons.update(addon.id, { containerId: id }, apiTimestamp());
    await this.#deps.ready({ ...addon, containerId: id }, service);
  }

  async #removeServer(addon: AddonRecord): Promise<void> {
    const { runtime } = this.#deps;
    for (const container of await runtime.listByLabel({ role: 'addon', app: addon.appId, dyno: addon.name })) await runtime.remove(container.id);
    if (addon.containerId !== null) await runtime.remove(addon.containerId);
    await runtime.removeVolume(volumeName(addon));
  }

  // ---- attachments ------------------------------------------------------------------------------------------------

  /** `POST /addon-attachments`: shares an add-on with an app under a name (`HEROKU_POSTGRESQL_ORANGE` by default). */
  attach(request: { addon: string; app: string; name?: string | null | undefined; namespace?: string | null | undefined }): AttachmentView {
    const { store } = this.#deps;
    const app = this.#deps.apps.get(request.app);
    const addon = this.#findAddon(request.addon);
    if (addon === undefined || addon.state !== 'provisioned') raise('addon_not_found');
    const { service } = planOf(addon.service, addon.plan);
    // `credential:<name>` (addons:attach --credential) puts that credential in the URL; `credential:default` is the
    // default one, as no namespace is.
    const wanted = request.namespace ?? null;
    const namespace = wanted === null || wanted === '' || wanted === 'credential:default' ? null : wanted;
    if (namespace !== null) this.#credential(addon, namespace);
    const attachment = store.transaction(() => {
      const name =
        request.name !== undefined && request.name !== null && request.name !== ''
          ? validateAttachmentName(request.name)
          : defaultAttachmentName(service, (n) => this.#attachmentTaken(app.id, n));
      if (this.#attachmentTaken(app.id, name)) raise('attachment_name_taken', { name });
      const now = apiTimestamp();
      const record = store.addons.insertAttachment({ id: randomUUID(), addonId: addon.id, appId: app.id, name, namespace, createdAt: now, updatedAt: now });
      this.#attachConfig(app, addon, record, 'attach');
      return record;
    });
    const view = this.attachmentView(attachment);
    this.#announceAttachment(view, 'create');
    return view;
  }

  /** `DELETE /addon-attachments/{id}`: the config var goes in a `Detach …` release. */
  detach(attachmentId: string): AttachmentView {
    const { store } = this.#deps;
    const attachment = store.addons.attachment(attachmentId);
    if (attachment === undefined) raise('attachment_not_found');
    const view = this.attachmentView(attachment);
    store.transaction(() => {
      this.#detachConfig(attachment, view.addon.addon);
      store.addons.deleteAttachment(attachment.id);
    });
    this.#announceAttachment(view, 'destroy');
    return view;
  }

  /** Announced to the add-on's app (Heroku's `api:addon` events go to the billing app). */
  #announceAddon(view: AddonView, action: 'create' | 'update' | 'destroy', previous: Record<string, unknown> = {}): void {
    this.#deps.events.emit('resource.changed', { appId: view.app.id, resource: 'addon', addon: view, action, previous });
  }

  /** Announced to the app the attachment gives the config var to. */
  #announceAttachment(view: AttachmentView, action: 'create' | 'destroy'): void {
    this.#deps.events.emit('resource.changed', { appId: view.app.id, resource: 'addon-attachment', attachment: view, action, previous: {} });
  }

  #attachConfig(app: AppRecord, addon: AddonRecord, attachment: AttachmentRecord, kind: 'attach'): void {
    this.#deps.apps.changeAddonConfig(app.id, {
      kind,
      attachment: attachment.name,
      addon: addon.name,
      set: { [configVarOf(attachment)]: this.#urlOf(addon, attachment) },
      unset: [],
      addonPlanNames: this.#planNamesOf(app.id),
    });
  }

  #detachConfig(attachment: AttachmentRecord, addon: AddonRecord): void {
    const { store } = this.#deps;
    if (store.apps.getById(attachment.appId) === undefined) return;
    const remaining = this.#planNamesOf(attachment.appId, attachment.id);
    this.#deps.apps.changeAddonConfig(attachment.appId, {
      kind: 'detach',
      attachment: attachment.name,
      addon: addon.name,
      set: {},
      unset: [configVarOf(attachment)],
      addonPlanNames: remaining,
    });
  }

  /** `heroku-postgresql:essential-0` for each add-on attached to the app (the release's `addon_plan_names`). */
  #planNamesOf(appId: string, except?: string): string[] {
    const { store } = this.#deps;
    return store.addons
      .attachmentsOfApp(appId)
      .filter((a) => a.id !== except)
      .map((a) => store.addons.get(a.addonId))
      .filter((a): a is AddonRecord => a !== undefined)
      .map((a) => `${a.service}:${a.plan}`);
  }

  #attachmentTaken(appId: string, name: string): boolean {
    return this.#deps.store.addons.attachmentsOfApp(appId).some((a) => a.name === name) || this.#deps.apps.get(appId).config[`${name}_URL`] !== undefined;
  }

  // ---- reading and resolving --------------------------------------------------------------------------------------

  list(): AddonView[] {
    return this.#deps.store.addons.list().map((a) => this.view(a));
  }

  /** The app's own add-ons and those attached to it from other apps. */
  listForApp(appRef: string): AddonView[] {
    const app = this.#deps.apps.get(appRef);
    const { store } = this.#deps;
    const ids = new Set([...store.addons.listByApp(app.id).map((a) => a.id), ...store.addons.attachmentsOfApp(app.id).map((a) => a.addonId)]);
    return store.addons
      .list()
      .filter((a) => ids.has(a.id))
      .map((a) => this.view(a));
  }

  /** `GET /addons/{id|name}`. */
  get(addonRef: string): AddonView {
    const addon = this.#findAddon(addonRef);
    if (addon === undefined) raise('addon_not_found');
    return this.view(addon);
  }

  /** `GET /apps/{app}/addons/{id|name}`: an add-on the app owns or has attached. */
  getForApp(appRef: string, addonRef: string): AddonView {
    return this.view(this.#addonOf(this.#deps.apps.get(appRef), addonRef));
  }

  attachments(): AttachmentView[] {
    return this.#deps.store.addons.attachments().map((a) => this.attachmentView(a));
  }

  attachmentsOfApp(appRef: string): AttachmentView[] {
    const app = this.#deps.apps.get(appRef);
    return this.#deps.store.addons.attachmentsOfApp(app.id).map((a) => this.attachmentView(a));
  }

  attachmentsOfAddon(addonRef: string): AttachmentView[] {
    const addon = this.#findAddon(addonRef);
    if (addon === undefined) raise('addon_not_found');
    return this.#deps.store.addons.attachmentsOfAddon(addon.id).map((a) => this.attachmentView(a));
  }

  /** `GET /addon-attachments/{id}` or `/apps/{app}/addon-attachments/{id|name}`. */
  getAttachment(ref: string, appRef?: string): AttachmentView {
    const { store } = this.#deps;
    if (appRef === undefined) {
      const found = UUID.test(ref) ? store.addons.attachment(ref.toLowerCase()) : undefined;
      if (found === undefined) raise('attachment_not_found');
      return this.attachmentView(found);
    }
    const app = this.#deps.apps.get(appRef);
    const name = ref.toUpperCase().replace(/_URL$/, '');
    const found = store.addons.attachmentsOfApp(app.id).find((a) => a.id === ref.toLowerCase() || a.name === name);
    if (found === undefined) raise('attachment_not_found');
    return this.attachmentView(found);
  }

  /**
   * `POST /actions/addons/resolve`: add-ons an identifier names: an add-on name or id, `app::ATTACHMENT`, an attachment
   * name (or its `_URL` var) on the app, or a service name among the app's add-ons. Always an array; 404 when empty.
   */
  resolveAddons(request: { addon: string; app?: string | null | undefined; addon_service?: string | null | undefined }): AddonView[] {
    const { store } = this.#deps;
    let ref = request.addon;
    let appRef = request.app ?? undefined;
    const scoped = /^([^:]+)::(.+)$/.exec(ref);
    if (scoped !== null) [appRef, ref] = [scoped[1] ?? '', scoped[2] ?? ''];
    const matches = new Map<string, AddonRecord>();
    const direct = this.#findAddon(ref);
    if (direct !== undefined) matches.set(direct.id, direct);
    if (appRef !== undefined && matches.size === 0) {
      const app = this.#deps.apps.get(appRef);
      const name = ref.toUpperCase().replace(/_URL$/, '');
      for (const attachment of store.addons.attachmentsOfApp(app.id)) {
        const addon = store.addons.get(attachment.addonId);
        if (addon === undefined) continue;
        if (attachment.name === name || addon.service === ref) matches.set(addon.id, addon);
      }
    }
    const service = request.addon_service ?? undefined;
    const found = [...matches.values()].filter((a) => service === undefined || a.service === service || findService(service)?.name === a.service);
    if (found.length === 0) raise('addon_not_found');
    return found.map((a) => this.view(a));
  }

  /**
   * `POST /actions/addon-attachments/resolve`: attachments an identifier names on an app: the attachment name or its
   * `_URL` var (the pg commands send `DATABASE_URL`), its id, or the add-on's name (each attachment of it).
   */
  resolveAttachments(request: { addon_attachment: string; app?: string | null | undefined; addon_service?: string | null | undefined }): AttachmentView[] {
    const { store } = this.#deps;
    let ref = request.addon_attachment;
    let appRef = request.app ?? undefined;
    const scoped = /^([^:]+)::(.+)$/.exec(ref);
    if (scoped !== null) [appRef, ref] = [scoped[1] ?? '', scoped[2] ?? ''];
    const candidates = appRef !== undefined ? store.addons.attachmentsOfApp(this.#deps.apps.get(appRef).id) : store.addons.attachments();
    const name = ref.toUpperCase().replace(/_URL$/, '');
    const service = request.addon_service ?? undefined;
    const found = candidates
      .map((a) => ({ attachment: a, addon: store.addons.get(a.addonId) }))
      .filter(({ attachment, addon }) => attachment.name === name || attachment.id === ref.toLowerCase() || addon?.name === ref || addon?.id === ref.toLowerCase())
      .filter(({ addon }) => service === undefined || addon?.service === service);
    if (found.length === 0) raise('attachment_not_found');
    return found.map(({ attachment }) => this.attachmentView(attachment));
  }

  // ---- the data API -----------------------------------------------------------------------------------------------

  /** What `pg:info` shows, read from the server. */
  async postgresInfo(addonRef: string): Promise<{ view: AddonView; facts: PostgresFacts }> {
    const view = this.#dataAddon(addonRef, 'postgresql');
    return { view, facts: await postgresFacts(view.addon) };
  }

  /** What `redis:info` shows: the server's INFO. */
  async redisInfo(addonRef: string): Promise<{ view: AddonView; info: Record<string, string> }> {
    const view = this.#dataAddon(addonRef, 'redis');
    return { view, info: await redisInfo(view.addon) };
  }

  /** `pg:reset`: the database is emptied in place (same credentials, same server). */
  async reset(addonRef: string, extensions: readonly string[]): Promise<AddonView> {
    const view = this.#dataAddon(addonRef, 'postgresql');
    await resetPostgres(view.addon, extensions);
    return view;
  }

  /** `pg:backups:capture`: a pg_dump of the database, named after its attachment on the owning app. */
  captureBackup(addonRef: string): Promise<Transfer> {
    const view = this.#dataAddon(addonRef, 'postgresql');
    const attachment = this.#deps.store.addons.attachmentsOfAddon(view.addon.id).find((a) => a.appId === view.addon.appId);
    return this.#backups.capture(view.addon, attachment?.name ?? 'DATABASE');
  }

  /** `pg:backups:restore`: the backup a `to_url` names is restored into the database (`--clean`). */
  async restoreBackup(addonRef: string, backupUrl: string): Promise<Transfer> {
    const view = this.#dataAddon(addonRef, 'postgresql');
    const transfer = await this.#backups.restore(view.addon, backupUrl);
    if (transfer === undefined) raise('backup_not_found');
    return transfer;
  }

  /** The app's backups and restores, as `pg:backups` lists them. */
  transfers(appRef: string): Promise<Transfer[]> {
    return this.#backups.list(this.#deps.apps.get(appRef).id);
  }

  async transfer(appRef: string, ref: string): Promise<Transfer> {
    const found = await this.#backups.get(this.#deps.apps.get(appRef).id, ref);
    if (found === undefined) raise('backup_not_found');
    return found;
  }

  /** `pg:backups:url`/`download`: the id and secret of a public URL of a succeeded backup (`b001`, `1` or its uuid). */
  async backupPublicUrl(appRef: string, ref: string): Promise<{ uuid: string; secret: string }> {
    const found = await this.#backups.publicSecret(this.#deps.apps.get(appRef).id, ref);
    if (found === undefined) raise('backup_not_found');
    return found;
  }

  /** The dump file behind a public backup URL (no API key: the URL's signature and expiry are the access). */
  async backupFile(uuid: string, secret: string): Promise<string> {
    const file = await this.#backups.publicFile(uuid, secret);
    if (file === 'expired') raise('backup_url_expired');
    if (file === undefined) raise('backup_not_found');
    return file;
  }

  /** `GET /addons/{addon}/config[/credential:<name>]`: `[{name: 'URL', value}]`, empty for an unknown credential. */
  config(addonRef: string, namespace?: string): Array<{ name: string; value: string }> {
    const addon = this.#findAddon(addonRef);
    if (addon === undefined) raise('addon_not_found');
    if (namespace === undefined) return [{ name: 'URL', value: addonUrl(addon, this.serverHost) }];
    const name = CREDENTIAL_NAMESPACE.exec(namespace)?.[1];
    const credential = name === 'default' ? addon : this.#deps.store.addons.credentialsOf(addon.id).find((c) => c.name === name);
    return credential === undefined ? [] : [{ name: 'URL', value: addonUrl({ ...addon, username: credential.username, password: credential.password }, this.serverHost) }];
  }

  /** `pg:credentials`: the default credential first, then the others by name. */
  credentials(addonRef: string): { view: AddonView; credentials: CredentialView[] } {
    const view = this.#dataAddon(addonRef, 'postgresql');
    const { addon } = view;
    const extra = this.#deps.store.addons.credentialsOf(addon.id);
    return { view, credentials: [{ name: 'default', username: addon.username, password: addon.password }, ...extra] };
  }

  /** `pg:credentials:url --name`, `GET /addons/{addon}/config/credential:<name>`: one credential, 404 if unknown. */
  credential(addonRef: string, name: string): { view: AddonView; credential: CredentialView } {
    const view = this.#dataAddon(addonRef, 'postgresql');
    return { view, credential: this.#credential(view.addon, `credential:${name}`) };
  }

  /** `pg:credentials:create`: a real role on the add-on's server (not on Essential plans, as on Heroku). */
  async createCredential(addonRef: string, name: string): Promise<CredentialView> {
    const view = this.#dataAddon(addonRef, 'postgresql');
    const { addon } = view;
    if (view.plan.name.startsWith('essential') || view.plan.name === 'mini' || view.plan.name === 'basic') raise('credential_essential_plan');
    if (!CREDENTIAL_NAME.test(name)) raise('credential_name_invalid', { name });
    const { store } = this.#deps;
    // Names the server already has (its own roles, the add-on's user) are taken as much as another credential's.
    const taken = () => raise('credential_name_taken', { name, addon: addon.name });
    if (name === 'default' || name === addon.username || RESERVED_ROLES.has(name) || store.addons.credentialsOf(addon.id).some((c) => c.name === name)) taken();
    const credential: CredentialRecord = { addonId: addon.id, name, username: name, password: `p${randomBytes(32).toString('hex')}`, createdAt: apiTimestamp() };
    // The row first: of two creates of one name at once, the second fails on its key, not on the server.
    let inserted: CredentialRecord;
    try {
      inserted = store.addons.insertCredential(credential);
    } catch (error) {
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) taken();
      throw error;
    }
    try {
      await createRole(addon, credential.username, credential.password);
    } catch (error) {
      store.addons.deleteCredential(addon.id, name);
      // 42710 duplicate_object: a role of that name exists on the server already.
      if ((error as { code?: unknown }).code === '42710') taken();
      throw error;
    }
    return inserted;
  }

  /**
   * `pg:credentials:rotate [--name N] [--force]` and `--all`: each credential gets a new password on the server, its
   * sessions end (all of them for the default credential, `--force` and `--all`; else those older than 30 minutes,
   * as the CLI warns), and every attachment that carries it gets the new URL in an `Update <ATTACHMENT> by
   * heroku-postgresql` release (reference §2), which restarts that app's dynos. Usernames stay.
   */
  async rotateCredentials(addonRef: string, which: { readonly name: string } | 'all', forced: boolean): Promise<{ view: AddonView; credentials: CredentialView[] }> {
    const { id } = this.#dataAddon(addonRef, 'postgresql').addon;
    return this.#credentialChanges.run(id, 'pg:credentials:rotate', () => this.#rotateCredentials(this.#addonRecord(id), which, forced));
  }

  // The passwords change on the server in a transaction that commits only once the store holds them (and the apps'
  // config with them); a store or config failure rolls the server back, so the two never disagree. Sessions end after.
  async #rotateCredentials(addon: AddonRecord, which: { readonly name: string } | 'all', forced: boolean): Promise<{ view: AddonView; credentials: CredentialView[] }> {
    const { store } = this.#deps;
    const targets = which === 'all' ? [...store.addons.credentialsOf(addon.id), this.#credential(addon, null)] : [this.#credential(addon, `credential:${which.name}`)];
    // The default credential last: the rotation runs as it, with its old password.
    const rotated = targets
      .sort((a, b) => Number(a.name === 'default') - Number(b.name === 'default'))
      .map((credential) => ({ ...credential, password: `p${randomBytes(32).toString('hex')}` }));
    await rotatePasswords(addon, rotated, forced || which === 'all' || rotated.some((c) => c.name === 'default'), () =>
      store.transaction(() => {
        for (const credential of rotated) {
          if (credential.name === 'default') store.addons.update(addon.id, { password: credential.password }, apiTimestamp());
          else store.addons.updateCredentialPassword(addon.id, credential.name, credential.password);
        }
        const current = this.#addonRecord(addon.id);
        const names = new Set(rotated.map((c) => c.name));
        for (const attachment of store.addons.attachmentsOfAddon(addon.id)) {
          if (!names.has(attachment.namespace === null ? 'default' : (CREDENTIAL_NAMESPACE.exec(attachment.namespace)?.[1] ?? ''))) continue;
          if (store.apps.getById(attachment.appId) === undefined) continue;
          this.#deps.apps.changeAddonConfig(attachment.appId, {
            kind: 'update',
            attachment: attachment.name,
            addon: addon.service,
            set: { [configVarOf(attachment)]: this.#urlOf(current, attachment) },
            unset: [],
            addonPlanNames: this.#planNamesOf(attachment.appId),
          });
        }
      }),
    );
    return { view: this.view(this.#addonRecord(addon.id)), credentials: rotated.map(({ name, username, password }) => ({ name, username, password })) };
  }

  /**
   * `pg:credentials:destroy --name N`: the role goes from the server (what it owns passes to the default credential)
   * and from the add-on. Not the default credential, nor one still attached to an app, as the CLI says.
   */
  async destroyCredential(addonRef: string, name: string): Promise<AddonView> {
    const { id } = this.#dataAddon(addonRef, 'postgresql').addon;
    if (name === 'default') raise('credential_default_destroy');
    return this.#credentialChanges.run(id, 'pg:credentials:destroy', () => this.#destroyCredential(id, name));
  }

  async #destroyCredential(id: string, name: string): Promise<AddonView> {
    const view = this.#dataAddon(id, 'postgresql');
    const { addon } = view;
    const credential = this.#credential(addon, `credential:${name}`);
    const { store } = this.#deps;
    const apps = [
      ...new Set(
        store.addons
          .attachmentsOfAddon(addon.id)
          .filter((a) => a.namespace === `credential:${name}`)
          .map((a) => store.apps.getById(a.appId)?.name ?? a.appId),
      ),
    ];
    // The CLI's words: `the app A` or `the apps A, B`.
    if (apps.length > 0) raise('credential_attached', { name, apps: `app${apps.length > 1 ? 's' : ''} ${apps.join(', ')}` });
    await dropRole(addon, credential.username);
    store.addons.deleteCredential(addon.id, name);
    return view;
  }

  /** The default credential (no namespace) or `credential:<name>`. */
  #credential(addon: AddonRecord, namespace: string | null): CredentialView {
    if (namespace === null || namespace === 'credential:default') return { name: 'default', username: addon.username, password: addon.password };
    const name = CREDENTIAL_NAMESPACE.exec(namespace)?.[1];
    const found = this.#deps.store.addons.credentialsOf(addon.id).find((c) => c.name === name);
    if (found === undefined) raise('credential_not_found');
    return found;
  }

  /** The URL an attachment's config var carries: the add-on's, with the attachment's credential. */
  #urlOf(addon: AddonRecord, attachment: AttachmentRecord): string {
    if (attachment.namespace === null) return addonUrl(addon, this.serverHost);
    const credential = this.#credential(addon, attachment.namespace);
    return addonUrl({ ...addon, username: credential.username, password: credential.password }, this.serverHost);
  }

  /** A provisioned add-on of the given kind, by id or name (the data API's paths carry either). */
  dataAddon(addonRef: string, kind: 'postgresql' | 'redis'): AddonView {
    return this.#dataAddon(addonRef, kind);
  }

  #dataAddon(addonRef: string, kind: 'postgresql' | 'redis'): AddonView {
    const addon = this.#findAddon(addonRef);
    if (addon === undefined || addon.state !== 'provisioned') raise('addon_not_found');
    const view = this.view(addon);
    if (view.service.kind !== kind) raise('addon_not_found');
    return view;
  }

  view(addon: AddonRecord): AddonView {
    const { service, plan } = planOf(addon.service, addon.plan);
    const app = this.#deps.apps.get(addon.appId);
    const configVars = this.#deps.store.addons
      .attachmentsOfAddon(addon.id)
      .filter((a) => a.appId === addon.appId)
      .map(configVarOf);
    return { addon, service, plan, app, configVars };
  }

  attachmentView(attachment: AttachmentRecord): AttachmentView {
    return { attachment, addon: this.view(this.#addonRecord(attachment.addonId)), app: this.#deps.apps.get(attachment.appId) };
  }

  /** The add-on by id or name, owned by or attached to the app. */
  #addonOf(app: AppRecord, ref: string): AddonRecord {
    const addon = this.#findAddon(ref);
    const { store } = this.#deps;
    if (addon === undefined) raise('addon_not_found');
    if (addon.appId !== app.id && !store.addons.attachmentsOfApp(app.id).some((a) => a.addonId === addon.id)) raise('addon_not_found');
    return addon;
  }

  #findAddon(ref: string): AddonRecord | undefined {
    return UUID.test(ref) ? this.#deps.store.addons.get(ref.toLowerCase()) : this.#deps.store.addons.getByName(ref);
  }

  #addonRecord(id: string): AddonRecord {
    const addon = this.#deps.store.addons.get(id);
    if (addon === undefined) raise('addon_not_found');
    return addon;
  }
}
