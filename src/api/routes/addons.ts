// Add-ons, attachments, add-on services and plans (Platform API schema `add-on`, `add-on-attachment`,
// `add-on-service`, `plan`, `add-on-action`), in the shapes the heroku CLI reads (reference heroku-addons-and-data §1).
import type { FastifyPluginAsync } from 'fastify';
import { SERVICES, findService, type AddonPlan, type AddonService, type AddonView, type AttachmentView } from '../../addons/index.js';
import { raise } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { addonShape, attachmentShape } from '../shapes.js';
import {
  schemas,
  type AddonCreateBody,
  type AddonParams,
  type AddonResolveBody,
  type AddonUpdateBody,
  type AttachmentCreateBody,
  type AttachmentResolveBody,
} from '../schemas.js';

const BY_ID_AND_NAME = ['id', 'name'] as const;

const price = (plan: AddonPlan) => ({ cents: plan.priceCents, contract: false, unit: 'month', metered: false });

function planShape(service: AddonService, plan: AddonPlan) {
  return {
    id: plan.id,
    name: `${service.name}:${plan.name}`,
    human_name: plan.humanName,
    description: `${service.humanName} ${plan.humanName}`,
    addon_service: { id: service.id, name: service.name },
    price: price(plan),
    default: plan.isDefault,
    state: 'public',
    compliance: null,
    installable_inside_private_network: false,
    installable_outside_private_network: true,
    space_default: false,
    visible: true,
    created_at: service.createdAt,
    updated_at: service.createdAt,
  };
}

function serviceShape(service: AddonService) {
  return {
    id: service.id,
    name: service.name,
    human_name: service.humanName,
    state: 'ga',
    cli_plugin_name: null,
    supports_multiple_installations: true,
    supports_sharing: true,
    created_at: service.createdAt,
    updated_at: service.createdAt,
  };
}

interface AddonConfigParams {
  readonly addon?: string;
  readonly namespace?: string;
}

const addonKey = (view: AddonView, field: string) => (field === 'name' ? view.addon.name : view.addon.id);
const attachmentKey = (view: AttachmentView, field: string) => (field === 'name' ? view.attachment.name : view.attachment.id);
const refOf = (ref: string | { readonly name?: string | null; readonly id?: string | null }): string =>
  typeof ref === 'string' ? ref : (ref.id ?? ref.name ?? '');
const planRef = (plan: AddonUpdateBody['plan']): string => (typeof plan === 'string' ? plan : plan.name);

export const addonsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { addons } = services;

  // ---- catalogue ----------------------------------------------------------------------------------------------------
  const serviceOf = (ref: string): AddonService => findService(ref) ?? raise('addon_service_not_found');
  api.get('/addon-services', { schema: schemas.none }, async (request, reply) =>
    sendPage(request, reply, [...SERVICES], BY_ID_AND_NAME, (s, field) => (field === 'name' ? s.name : s.id), serviceShape),
  );
  api.get<{ Params: AddonParams }>('/addon-services/:service', { schema: schemas.params }, async (request) => serviceShape(serviceOf(request.params.service ?? '')));
  api.get<{ Params: AddonParams }>('/addon-services/:service/plans', { schema: schemas.params }, async (request, reply) => {
    const service = serviceOf(request.params.service ?? '');
    return sendPage(request, reply, [...service.plans], BY_ID_AND_NAME, (p, field) => (field === 'name' ? p.name : p.id), (p) => planShape(service, p));
  });
  const planIn = (service: AddonService, ref: string) => {
    const wanted = ref.toLowerCase().replace(`${service.name}:`, '');
    const plan = service.plans.find((p) => p.name === wanted || p.id === wanted);
    if (plan === undefined) raise('addon_plan_not_found', { plan: ref });
    return planShape(service, plan);
  };
  api.get<{ Params: AddonParams }>('/addon-services/:service/plans/:plan', { schema: schemas.params }, async (request) =>
    planIn(serviceOf(request.params.service ?? ''), request.params.plan ?? ''),
  );
  api.get<{ Params: AddonParams }>('/plans/:plan', { schema: schemas.params }, async (request) => {
    const ref = request.params.plan ?? '';
    const service = SERVICES.find((s) => s.plans.some((p) => p.id === ref.toLowerCase()) || ref.startsWith(`${s.name}:`));
    if (service === undefined) raise('addon_plan_not_found', { plan: ref });
    return planIn(service, ref);
  });

  // ---- add-ons ------------------------------------------------------------------------------------------------------
  api.post<{ Params: AddonParams; Body: AddonCreateBody }>('/apps/:app/addons', { schema: schemas.addonCreate }, async (request, reply) => {
    const body = request.body;
    const view = await addons.create(request.params.app ?? '', { plan: body.plan, name: body.name, attachment: body.attachment, config: body.config });
    void reply.code(201);
    return addonShape(view);
  });
  api.get<{ Params: AddonParams }>('/apps/:app/addons', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, addons.listForApp(request.params.app ?? ''), BY_ID_AND_NAME, addonKey, addonShape),
  );
  api.get('/addons', { schema: schemas.none }, async (request, reply) => sendPage(request, reply, addons.list(), BY_ID_AND_NAME, addonKey, addonShape));
  api.get<{ Params: AddonParams }>('/apps/:app/addons/:addon', { schema: schemas.params }, async (request) =>
    addonShape(addons.getForApp(request.params.app ?? '', request.params.addon ?? '')),
  );
  api.get<{ Params: AddonParams }>('/addons/:addon', { schema: schemas.params }, async (request) => addonShape(addons.get(request.params.addon ?? '')));
  // The add-on's config (`URL`), or a credential's (`/config/credential:<name>`): `addons:attach --credential` asks
  // for it first and needs a non-empty list; an unknown credential answers an empty one.
  api.get<{ Params: AddonConfigParams }>('/addons/:addon/config', { schema: schemas.params }, async (request) => addons.config(request.params.addon ?? ''));
  api.get<{ Params: AddonConfigParams }>('/addons/:addon/config/:namespace', { schema: schemas.params }, async (request) =>
    addons.config(request.params.addon ?? '', request.params.namespace),
  );
  api.patch<{ Params: AddonParams; Body: AddonUpdateBody }>('/apps/:app/addons/:addon', { schema: schemas.addonUpdate }, async (request) =>
    addonShape(await addons.changePlan(request.params.app ?? '', request.params.addon ?? '', planRef(request.body.plan))),
  );
  // The CLI sends app and add-on UUIDs and a `{"force":false}` body.
  api.delete<{ Params: AddonParams }>('/apps/:app/addons/:addon', { schema: schemas.paramsIgnoringBody }, async (request) =>
    addonShape(await addons.destroy(request.params.app ?? '', request.params.addon ?? '')),
  );
  api.post<{ Body: AddonResolveBody }>('/actions/addons/resolve', { schema: schemas.addonResolve }, async (request) =>
    addons.resolveAddons(request.body).map(addonShape),
  );

  // ---- attachments --------------------------------------------------------------------------------------------------
  api.get('/addon-attachments', { schema: schemas.none }, async (request, reply) =>
    sendPage(request, reply, addons.attachments(), BY_ID_AND_NAME, attachmentKey, attachmentShape),
  );
  api.get<{ Params: AddonParams }>('/apps/:app/addon-attachments', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, addons.attachmentsOfApp(request.params.app ?? ''), BY_ID_AND_NAME, attachmentKey, attachmentShape),
  );
  api.get<{ Params: AddonParams }>('/addons/:addon/addon-attachments', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, addons.attachmentsOfAddon(request.params.addon ?? ''), BY_ID_AND_NAME, attachmentKey, attachmentShape),
  );
  api.get<{ Params: AddonParams }>('/apps/:app/addon-attachments/:attachment', { schema: schemas.params }, async (request) =>
    attachmentShape(addons.getAttachment(request.params.attachment ?? '', request.params.app ?? '')),
  );
  api.get<{ Params: AddonParams }>('/addon-attachments/:attachment', { schema: schemas.params }, async (request) =>
    attachmentShape(addons.getAttachment(request.params.attachment ?? '')),
  );
  api.post<{ Body: AttachmentCreateBody }>('/addon-attachments', { schema: schemas.attachmentCreate }, async (request, reply) => {
    const body = request.body;
    const view = addons.attach({ addon: refOf(body.addon), app: refOf(body.app), name: body.name, namespace: body.namespace });
    void reply.code(201);
    return attachmentShape(view);
  });
  api.delete<{ Params: AddonParams }>('/addon-attachments/:attachment', { schema: schemas.paramsIgnoringBody }, async (request) =>
    attachmentShape(addons.detach(request.params.attachment ?? '')),
  );
  api.post<{ Body: AttachmentResolveBody }>('/actions/addon-attachments/resolve', { schema: schemas.attachmentResolve }, async (request) =>
    addons.resolveAttachments(request.body).map(attachmentShape),
  );
};
