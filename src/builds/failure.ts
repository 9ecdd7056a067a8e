// A build that fails on purpose: the lines the user reads at the end of the output (Heroku's `!` lines).

/** `heroku builds:cancel` (`DELETE /apps/{app}/builds/{id}`): the build's last `!` line before `Push failed` [U]. */
export function cancelledLine(email: string): string {
  return `Build cancelled by user ${email}.`;
}

/** Berth's: the app was destroyed while its build ran (Heroku cannot destroy an app under a running build). */
export const APP_DESTROYED_LINE = 'The app was destroyed during its build.';

export class BuildFailure extends Error {
  /** Printed after the buildpack's own output, each prefixed ` !     `. */
  readonly lines: readonly string[];
  /** Heroku's `Push rejected, failed to compile <Language> app.` needs the language when a buildpack failed. */
  readonly language: string | undefined;
  /** Lines printed as they are (Heroku's multi-line hints). */
  readonly raw: readonly string[];

  constructor(lines: readonly string[], options: { language?: string; raw?: readonly string[] } = {}) {
    super(lines.join(' '));
    this.name = 'BuildFailure';
    this.lines = lines;
    this.language = options.language;
    this.raw = options.raw ?? [];
  }
}
