// Names as Heroku makes them: add-ons `postgresql-<adjective>-<5 digits>` (`postgresql-concave-52656`), attachments
// `DATABASE`, then `HEROKU_POSTGRESQL_<COLOR>` for a second database of the same app.
import { randomInt } from 'node:crypto';
import { raise } from '../errors.js';
import type { AddonService } from './catalogue.js';

const ADJECTIVES = [
  'acute', 'angular', 'animated', 'asymmetrical', 'amorphous', 'clean', 'closed', 'colorful', 'concave', 'convex',
  'cubic', 'curly', 'curved', 'cylindrical', 'deep', 'defined', 'dimensional', 'encircled', 'elliptical', 'flat',
  'fluffy', 'opaque', 'parallel', 'perpendicular', 'polished', 'regular', 'rigid', 'round', 'rugged', 'shallow',
  'sinuous', 'slippery', 'solid', 'spherical', 'symmetrical', 'tetrahedral', 'transparent', 'triangular', 'vertical',
] as const;

/** Colours of later attachments ([U] in the reference: Heroku's list is not published). */
const COLORS = [
  'AMBER', 'AQUA', 'BLACK', 'BLUE', 'BRONZE', 'BROWN', 'CHARCOAL', 'CHARTREUSE', 'CHESTNUT', 'COBALT', 'COPPER',
  'CRIMSON', 'CYAN', 'GOLD', 'GRAY', 'GREEN', 'IVORY', 'JADE', 'MAROON', 'MAUVE', 'NAVY', 'OLIVE', 'ONYX', 'ORANGE',
  'PINK', 'PUCE', 'PURPLE', 'RED', 'ROSE', 'SILVER', 'TEAL', 'VIOLET', 'WHITE', 'YELLOW',
] as const;

/** The add-on name schema: `^[a-zA-Z][A-Za-z0-9_-]+$`. */
const ADDON_NAME = /^[a-zA-Z][A-Za-z0-9_-]+$/;
/** An attachment name becomes `<NAME>_URL`: upper case letters, digits and underscores, starting with a letter. */
const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]*$/;

export function generateAddonName(service: AddonService, taken: (name: string) => boolean): string {
  for (;;) {
    const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)] ?? 'flat';
    const name = `${service.namePrefix}-${adjective}-${String(randomInt(100000)).padStart(5, '0')}`;
    if (!taken(name)) return name;
  }
}

export function validateAddonName(name: string): string {
  if (!ADDON_NAME.test(name) || name.length > 256) raise('addon_name_invalid', { name });
  return name;
}

/** `--as db` is `DB`, as the CLI upper-cases it; a trailing `_URL` is the config var, not the name. */
export function validateAttachmentName(name: string): string {
  const upper = name.trim().toUpperCase().replace(/_URL$/, '');
  if (!ATTACHMENT_NAME.test(upper)) raise('attachment_name_invalid', { name });
  return upper;
}

/** `DATABASE` when the app has none of that name yet, else `HEROKU_POSTGRESQL_<COLOR>`. */
export function defaultAttachmentName(service: AddonService, taken: (name: string) => boolean): string {
  if (!taken(service.primaryAttachment)) return service.primaryAttachment;
  const free = COLORS.map((color) => `${service.colorPrefix}_${color}`).filter((name) => !taken(name));
  if (free.length > 0) return free[randomInt(free.length)] ?? `${service.colorPrefix}_${randomInt(100000)}`;
  for (;;) {
    const name = `${service.colorPrefix}_${randomInt(100000)}`;
    if (!taken(name)) return name;
  }
}
