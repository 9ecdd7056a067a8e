// The stack room's whole public surface: find, build offline and describe the heroku-24 images.
export { ensureStackImages, describeStack, type StackDescription, type StackImage, type StackSettings } from './images.js';
export { parseDeb822, parseSourcesList, pickMirror } from './mirror.js';
export { ensureAddonImage, POSTGRES_TEMPLATE_DATABASE, POSTGRES_TEMPLATE_DIR, type AddonImageSettings } from './addon-image.js';
