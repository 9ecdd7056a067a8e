// An app setup's `failure_message` and `manifest_errors` entries. `invalid app.json` and `config var FOO is required`
// are the schema's own examples (reference: heroku-workflows.md §1.2); the rest are Berth's wording [U].
export const SETUP_MESSAGES = {
  invalidManifest: 'invalid app.json',
  required: (name: string) => `config var ${name} is required`,
  sourceUnreadable: (reason: string) => `The source blob could not be read: ${reason}`,
  addonsUnavailable: (plans: readonly string[]) =>
    `Berth cannot provision add-ons yet, and app.json asks for ${plans.join(', ')}. Remove them from app.json, or run a Berth with add-on services.`,
  addonFailed: (plan: string, reason: string) => `Add-on ${plan} could not be provisioned: ${reason}`,
  buildFailed: 'The build failed; its output is at build.output_stream_url.',
  releaseFailed: (version: number) => `The release command of v${version} failed; see heroku releases:output.`,
  postdeployFailed: (code: number) => `The postdeploy script exited with status ${code}.`,
  formationFailed: (reason: string) => `The formation could not be applied: ${reason}`,
  interrupted: 'The Berth daemon stopped while this app setup ran.',
} as const;
