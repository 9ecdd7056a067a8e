// What the API routes may use: services only (DESIGN.md), plus the shape context.
import type { AppsService } from '../apps/index.js';
import type { Account } from '../contracts/records.js';
import type { ReleasesService } from '../releases/index.js';
import type { ShapeContext } from './shapes.js';

export interface ApiServices {
  readonly apps: AppsService;
  readonly releases: ReleasesService;
  readonly account: () => Account;
  readonly shapes: () => ShapeContext;
}
