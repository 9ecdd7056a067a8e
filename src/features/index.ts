// App and account features: Heroku's catalogue, switched per app or for the account.
export { FeaturesService, type Feature } from './service.js';
export { HTTP_SESSION_AFFINITY, LOG_RUNTIME_METRICS, PREBOOT, RUNTIME_DYNO_METADATA } from './catalogue.js';
