// The store: the only room that writes SQL. Repositories are typed; `transaction` makes a multi-step
// change all-or-nothing (an app with its first releases, a config change with its release and log lines).
import { openDatabase, type Db } from './database.js';
import { AccountRepository } from './account-repository.js';
import { AppsRepository } from './apps-repository.js';
import { BuildsRepository } from './builds-repository.js';
import { DynosRepository } from './dynos-repository.js';
import { SourcesRepository } from './sources-repository.js';
import { LogRepository } from './log-repository.js';
import { DrainsRepository } from './drains-repository.js';
import { DomainsRepository } from './domains-repository.js';
import { SniEndpointsRepository } from './sni-endpoints-repository.js';
import { ImagesRepository } from './images-repository.js';
import { ReleasesRepository } from './releases-repository.js';
import { WebhooksRepository } from './webhooks-repository.js';
import { FeaturesRepository } from './features-repository.js';
import { CollaboratorsRepository } from './collaborators-repository.js';
import { SlugUploadsRepository } from './slug-uploads-repository.js';
import { PipelinesRepository } from './pipelines-repository.js';
import { SetupsRepository } from './setups-repository.js';
import { TestRunsRepository } from './test-runs-repository.js';
import { ReviewAppsRepository } from './review-apps-repository.js';
import { ReviewAppConfigsRepository } from './review-app-configs-repository.js';
import { AddonsRepository } from './addons-repository.js';

export type { StoredLogLine } from './log-repository.js';
export type { LogDrainRecord } from './drains-repository.js';
export type { DomainRecord } from './domains-repository.js';
export type { SniBinding, SniEndpointRecord } from './sni-endpoints-repository.js';
export type { SetupChanges, SetupRecord } from './setups-repository.js';
export type { TestRunChanges, TestRunRecord } from './test-runs-repository.js';
export type { ReviewAppRecord } from './review-apps-repository.js';
export type { ReviewAppConfigChanges, ReviewAppConfigRecord } from './review-app-configs-repository.js';
export type { CouplingRecord, PipelineRecord, PromotionRecord, PromotionTargetRecord } from './pipelines-repository.js';
export type { AppChanges, NewApp } from './apps-repository.js';
export type { NewRelease } from './releases-repository.js';
export type { NewBuild } from './builds-repository.js';
export type { SourceRecord } from './sources-repository.js';
export type { FeatureSwitch } from './features-repository.js';
export type { CollaboratorRecord } from './collaborators-repository.js';
export type {
  WebhookAttempt,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEventRecord,
  WebhookRecord,
} from './webhooks-repository.js';
export type { AddonRecord, AttachmentRecord, CredentialRecord } from './addons-repository.js';

export interface StoreOptions {
  /** Path of the SQLite file, or `:memory:` for unit tests. */
  file: string;
  logHistoryLines: number;
}

export class Store {
  readonly #db: Db;
  readonly account: AccountRepository;
  readonly apps: AppsRepository;
  readonly releases: ReleasesRepository;
  readonly logs: LogRepository;
  readonly drains: DrainsRepository;
  readonly builds: BuildsRepository;
  readonly sources: SourcesRepository;
  readonly dynos: DynosRepository;
  readonly domains: DomainsRepository;
  readonly sniEndpoints: SniEndpointsRepository;
  readonly images: ImagesRepository;
  readonly webhooks: WebhooksRepository;
  readonly features: FeaturesRepository;
  readonly collaborators: CollaboratorsRepository;
  readonly slugUploads: SlugUploadsRepository;
  readonly pipelines: PipelinesRepository;
  readonly setups: SetupsRepository;
  readonly testRuns: TestRunsRepository;
  readonly reviewApps: ReviewAppsRepository;
  readonly reviewAppConfigs: ReviewAppConfigsRepository;
  readonly addons: AddonsRepository;

  constructor(options: StoreOptions) {
    this.#db = openDatabase(options.file);
    this.account = new AccountRepository(this.#db);
    this.apps = new AppsRepository(this.#db);
    this.releases = new ReleasesRepository(this.#db);
    this.logs = new LogRepository(this.#db, options.logHistoryLines);
    this.drains = new DrainsRepository(this.#db);
    this.builds = new BuildsRepository(this.#db);
    this.sources = new SourcesRepository(this.#db);
    this.dynos = new DynosRepository(this.#db);
    this.domains = new DomainsRepository(this.#db);
    this.sniEndpoints = new SniEndpointsRepository(this.#db);
    this.images = new ImagesRepository(this.#db);
    this.webhooks = new WebhooksRepository(this.#db);
    this.features = new FeaturesRepository(this.#db);
    this.collaborators = new CollaboratorsRepository(this.#db);
    this.slugUploads = new SlugUploadsRepository(this.#db);
    this.pipelines = new PipelinesRepository(this.#db);
    this.setups = new SetupsRepository(this.#db);
    this.testRuns = new TestRunsRepository(this.#db);
    this.reviewApps = new ReviewAppsRepository(this.#db);
    this.reviewAppConfigs = new ReviewAppConfigsRepository(this.#db);
    this.addons = new AddonsRepository(this.#db);
  }

  #depth = 0;
  #afterCommit: Array<() => void> = [];

  /** Runs `work` in one IMMEDIATE transaction: it commits whole or not at all. Nested calls join the outer one. */
  transaction<T>(work: () => T): T {
    this.#depth++;
    let result: T;
    try {
      result = this.#db.transaction(work).immediate();
    } catch (error) {
      this.#depth--;
      if (this.#depth === 0) this.#afterCommit = [];
      throw error;
    }
    this.#depth--;
    if (this.#depth === 0) {
      const callbacks = this.#afterCommit;
      this.#afterCommit = [];
      for (const callback of callbacks) callback();
    }
    return result;
  }

  /**
   * Runs `callback` once the outermost transaction commits, or at once outside one. Events are announced this way,
   * so no room hears of a change that was rolled back.
   */
  afterCommit(callback: () => void): void {
    if (this.#depth === 0) callback();
    else this.#afterCommit.push(callback);
  }

  close(): void {
    if (this.#db.open) this.logs.flush();
    if (this.#db.open) this.#db.close();
  }
}
