// app.json: parse and check Heroku's manifest (pure: text in, manifest or field-named errors out).
export { forEnvironment, parseAppJson } from './parse.js';
export type { AppJson, AppJsonAddon, AppJsonEnvironment, AppJsonEnvVar, AppJsonFormation, AppJsonScript, EnvironmentName, ParseResult } from './types.js';
