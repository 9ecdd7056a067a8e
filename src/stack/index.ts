// The stack room's whole public surface: find, build offline and describe the heroku-24 images.
export { ensureStackImages, describeStack, STACK_LABEL, type StackDescription, type StackImage, type StackSettings } from './images.js';
export { RUN_PACKAGES, BUILD_EXTRA_PACKAGES, BUILD_PACKAGES } from './packages.js';
export { hostMirror, parseDeb822, parseSourcesList, pickMirror, FALLBACK_MIRROR } from './mirror.js';
