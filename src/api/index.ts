export { buildApi, type ApiOptions } from './server.js';
export type { ApiServices } from './context.js';
export type { ShapeContext } from './shapes.js';
export { resourceShape } from './webhook-shapes.js';
export { parseRange, paginate, type Range, type Page } from './range.js';
