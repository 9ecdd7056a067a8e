import type { FastifyPluginAsync } from 'fastify';
import type { Feature } from '../../features/index.js';
import type { ApiServices } from '../context.js';
import { schemas, type AppFeatureParams, type AppParams, type FeatureBody, type FeatureParams } from '../schemas.js';

function featureShape(feature: Feature) {
  return {
    created_at: feature.createdAt,
    description: feature.description,
    display_name: feature.displayName,
    doc_url: feature.docUrl,
    enabled: feature.enabled,
    feedback_email: null,
    id: feature.id,
    name: feature.name,
    state: feature.state,
    updated_at: feature.updatedAt,
  };
}

export const featuresRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { features } = services;

  api.get<{ Params: AppParams }>('/apps/:app/features', { schema: schemas.params }, async (request) =>
    features.appFeatures(services.apps.get(request.params.app)).map(featureShape),
  );

  api.get<{ Params: AppFeatureParams }>('/apps/:app/features/:feature', { schema: schemas.params }, async (request) =>
    featureShape(features.appFeature(services.apps.get(request.params.app), request.params.feature)),
  );

  api.patch<{ Params: AppFeatureParams; Body: FeatureBody }>('/apps/:app/features/:feature', { schema: schemas.featureUpdate }, async (request) =>
    featureShape(features.setAppFeature(services.apps.get(request.params.app), request.params.feature, request.body.enabled)),
  );

  api.get('/account/features', async () => features.accountFeatures().map(featureShape));

  api.get<{ Params: FeatureParams }>('/account/features/:feature', { schema: schemas.params }, async (request) =>
    featureShape(features.accountFeature(request.params.feature)),
  );

  api.patch<{ Params: FeatureParams; Body: FeatureBody }>('/account/features/:feature', { schema: schemas.featureUpdate }, async (request) =>
    featureShape(features.setAccountFeature(request.params.feature, request.body.enabled)),
  );
};
