// App setups: app.json → app, add-ons, config vars, build, release, postdeploy, formation.
export { SetupsService, type AddonProvisioner, type SetupRequest, type SetupSources, type SetupsDeps } from './service.js';
export type { SetupRecord as Setup } from '../store/index.js';
