// The add-ons room's whole public surface: services and plans, provisioning on real servers, attachments.
export { AddonsService, type AddonApps, type AddonsDeps, type AddonsOptions, type AddonView, type AttachmentView, type CreateAddonRequest } from './service.js';
export { SERVICES, findService, type AddonPlan, type AddonService } from './catalogue.js';
export { waitReady, type ServerCertificate } from './servers.js';
