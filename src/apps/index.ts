export { AppsService, REGIONS, type AppReleases, type CreateAppRequest, type StackRef, type UpdateAppRequest, type AppsOptions, type AddonConfigChange } from './service.js';
export { CollaboratorsService, type Collaborator } from './collaborators.js';
export { AccountService } from './account.js';
export { APP_NAME_PATTERN, generateAppName, validateAppName } from './names.js';
export { applyConfigChange, describeConfigChange, parseConfigPatch, type ConfigChange, type ConfigPatch } from './config-vars.js';
