// A promotion target's `error_message`, which `heroku pipelines:promote` prints after `<app>: failed`. Heroku's
// wording is not documented; this is Berth's.
export const PROMOTION_ERRORS = {
  releasePhaseFailed: (version: number) => `Release v${version} command failed; the app keeps running its previous release.`,
} as const;

/** A test run's `message` when it errors (Berth's wording). */
export const TEST_RUN_MESSAGES = {
  setupFailed: 'The test app could not be set up.',
  testSetupFailed: (code: number) => `scripts.test-setup exited with status ${code}.`,
  noTestScript: 'app.json has no scripts.test (in environments.test or at the top level), and no buildpack of the build has a bin/test.',
  interrupted: 'The Berth daemon stopped while this test run ran.',
} as const;

/** A review app's `message` (Berth's wording). */
export const REVIEW_APP_MESSAGES = {
  deleted: 'The review app was deleted.',
  notMade: 'The review app could not be made.',
  buildFailed: 'The last build of this review app failed.',
  interrupted: 'The Berth daemon stopped while this review app was being made or deleted; delete it and make it again.',
} as const;
