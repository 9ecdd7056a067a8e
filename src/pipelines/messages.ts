// A promotion target's `error_message`, which `heroku pipelines:promote` prints after `<app>: failed`. Heroku's
// wording is not documented; this is Berth's.
export const PROMOTION_ERRORS = {
  releasePhaseFailed: (version: number) => `Release v${version} command failed; the app keeps running its previous release.`,
} as const;
