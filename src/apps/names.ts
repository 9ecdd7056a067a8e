// Heroku's app name rule, and Heroku-style generated names ("sleepy-meadow-81798").
import { randomInt } from 'node:crypto';
import { raise } from '../errors.js';

export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/** Throws Heroku's 422 for a name that breaks the rule; returns the name otherwise. */
export function validateAppName(name: string): string {
  if (name.length < 3) raise('app_name_too_short');
  if (name.length > 30) raise('app_name_too_long');
  if (!APP_NAME_PATTERN.test(name)) raise('app_name_invalid');
  return name;
}

const ADJECTIVES = [
  'ancient', 'autumn', 'billowing', 'bitter', 'blooming', 'boiling', 'calm', 'cold', 'cool', 'crimson', 'damp',
  'dark', 'dry', 'floating', 'fragrant', 'frosty', 'gentle', 'glacial', 'hidden', 'icy', 'lingering', 'little',
  'lively', 'mighty', 'misty', 'morning', 'murmuring', 'obscure', 'polar', 'quiet', 'rocky', 'rough', 'secret',
  'shrouded', 'shy', 'silent', 'sleepy', 'still', 'stormy', 'sunny', 'thawing', 'twilight', 'wandering', 'warm',
  'whispering', 'wild', 'young',
] as const;

const NOUNS = [
  'bayou', 'beach', 'brook', 'butte', 'cliffs', 'cove', 'dawn', 'depths', 'dusk', 'falls', 'fjord', 'forest',
  'garden', 'harbor', 'headland', 'island', 'lake', 'meadow', 'mesa', 'mountain', 'ocean', 'peak', 'plains',
  'reaches', 'refuge', 'reef', 'ridge', 'river', 'sands', 'savannah', 'shelf', 'shore', 'spire', 'springs',
  'stream', 'taiga', 'thicket', 'tundra', 'valley', 'waters', 'wave', 'woodland',
] as const;

function pick<T>(list: readonly T[]): T {
  return list[randomInt(list.length)] as T;
}

/** A fresh name not accepted by `taken`; the 5-digit suffix makes collisions rare, retries make them harmless. */
export function generateAppName(taken: (name: string) => boolean): string {
  for (;;) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(10000, 100000)}`;
    if (!taken(name)) return name;
  }
}
