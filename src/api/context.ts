// What the API routes may use: services only (DESIGN.md), plus the shape context.
import type { AddonsService } from '../addons/index.js';
import type { AccountService, AppsService, CollaboratorsService } from '../apps/index.js';
import type { BuildsService, SlugUploads } from '../builds/index.js';
import type { LogDrains, LogSessions } from '../logs/index.js';
import type { Account } from '../contracts/records.js';
import type { DynoManager } from '../dynos/index.js';
import type { DomainsService } from '../domains/index.js';
import type { PipelinesService, ReviewAppsService, TestRunsService } from '../pipelines/index.js';
import type { ReleasesService } from '../releases/index.js';
import type { SetupsService } from '../setups/index.js';
import type { SourcesService } from '../sources/index.js';
import type { WebhooksService } from '../webhooks/index.js';
import type { FeaturesService } from '../features/index.js';
import type { ChaosService } from '../chaos/index.js';
import type { ShapeContext } from './shapes.js';

export interface ApiServices {
  readonly apps: AppsService;
  readonly addons: AddonsService;
  readonly releases: ReleasesService;
  readonly builds: BuildsService;
  readonly dynos: DynoManager;
  readonly domains: DomainsService;
  readonly sources: SourcesService;
  readonly logSessions: LogSessions;
  readonly logDrains: LogDrains;
  readonly webhooks: WebhooksService;
  readonly features: FeaturesService;
  readonly collaborators: CollaboratorsService;
  readonly slugUploads: SlugUploads;
  readonly accounts: AccountService;
  readonly pipelines: PipelinesService;
  readonly setups: SetupsService;
  readonly testRuns: TestRunsService;
  readonly reviewApps: ReviewAppsService;
  /** Berth's teaching controls and the lesson clock (not Heroku's API: under /berth/). */
  readonly chaos: ChaosService;
  readonly account: () => Account;
  /** What the platform offers: the one stack new apps get, and the buildpack registry's answer for a name. */
  readonly platform: {
    readonly stack: string;
    registryBlobUrl(slug: string): string | undefined;
  };
  readonly shapes: () => ShapeContext;
  /** Public URLs (a secret in the path, no auth) of blobs and streams. */
  readonly urls: {
    sourceBlob(id: string, secret: string): string;
    buildOutput(buildId: string, secret: string): string;
    releaseOutput(releaseId: string, secret: string): string;
    rendezvous(secret: string): string;
    testOutput(runId: string, secret: string, phase: 'setup' | 'output'): string;
    /** A `pg:backups:url`: https, as the CLI's download only speaks https. */
    backup(id: string, secret: string): string;
  };
}
