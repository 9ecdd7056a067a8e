// undici's Pool in a module of its own, which targets.ts imports when the first dyno is up (it says why): a bundler
// splits this out of the daemon's bundle with its named export intact.
export { Pool } from 'undici';
