// Pipelines: pipelines, couplings (stages) and promotions that copy a slug downstream.
export { PipelinesService, type CreatePipelineRequest, type PipelinesDeps, type PromotionRequest } from './service.js';
export { TestRunsService, type TestRunRequest, type TestRunsDeps } from './test-runs.js';
export type { TapCase as TestCase } from './tap.js';
export { ReviewAppsService, type ReviewAppConfigRequest, type ReviewAppFromPush, type ReviewAppRequest, type ReviewAppsDeps } from './review-apps.js';
export type {
  ReviewAppRecord as ReviewApp,
  ReviewAppConfigRecord as ReviewAppConfig,
  TestRunRecord as TestRun,
  CouplingRecord as Coupling,
  PipelineRecord as Pipeline,
  PromotionRecord as Promotion,
  PromotionTargetRecord as PromotionTarget,
} from '../store/index.js';
