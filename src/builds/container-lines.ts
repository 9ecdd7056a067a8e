// What a container-stack build prints (heroku-containers.md §1.4, §2): Heroku's words where published output shows
// them, Berth's (README "Container stack") where Heroku's are unknown or where Berth differs (no registry to push to,
// an offline engine).

const NO_MANIFEST_HELP = 'https://devcenter.heroku.com/articles/build-docker-images-heroku-yml';
const SWITCH_BACK_HELP = 'https://devcenter.heroku.com/articles/container-registry-and-runtime#changing-deployment-method';

export const CONTAINER_LINES = {
  fetching: '=== Fetching app code',
  building: (type: string, dockerfile: string): string => `=== Building ${type} (${dockerfile})`,
  pushing: (type: string, dockerfile: string): string => `=== Pushing ${type} (${dockerfile})`,
  /** Berth's: the image stays on the local engine. */
  stored: (id: string): string => `Image ${id.replace(/^sha256:/, '').slice(0, 12)} kept on this machine's engine (Berth has no registry to push to).`,
  noManifest: [
    `=!= Your app does not include a heroku.yml build manifest. To deploy your app, either create a heroku.yml: ${NO_MANIFEST_HELP}`,
    `Or switch back to buildpack-based deploys: ${SWITCH_BACK_HELP}`,
  ],
  invalidManifest: (issues: readonly string[]): string[] => [
    '=!= Your heroku.yml manifest is invalid. Please correct the following issues:',
    ...issues.map((issue) => `\t${issue}`),
  ],
  noDockerfile: (type: string, dockerfile: string): string => `=!= The Dockerfile ${dockerfile} for process type ${type} is not in the repository.`,
  /** Berth's: heroku.yml names no command and the image has no CMD (Heroku's container:release words). */
  noCommand: (type: string): string => `=!= No command specified for process type ${type}`,
  buildFailed: (type: string, dockerfile: string): string => `=!= Build of ${type} (${dockerfile}) failed.`,
  /** Berth's: a step was killed (exit 137) while the build had a memory limit. */
  outOfMemory: (type: string, limitBytes: number): string =>
    `=!= The build of ${type} was killed, most likely for running out of its ${Math.round(limitBytes / 1024 / 1024)} MB of memory (BERTH_BUILD_MEMORY_MB).`,
  missingImage: (dockerfile: string, image: string): string[] => [
    `=!= ${dockerfile}: FROM ${image}: the image is not on this machine, and Berth builds offline (it cannot pull).`,
    `    Make it available to the engine first: \`docker save ${image}\` where it can be pulled, then \`docker load\` here`,
    '    (or push it to a local registry the engine can reach), or build FROM heroku/heroku:24, which Berth provides.',
  ],
  unresolvedFrom: (dockerfile: string, line: string): string =>
    `=!= ${dockerfile}: ${line}: the image depends on a build arg with no value (set it in heroku.yml build.config).`,
  addUrl: (dockerfile: string, url: string): string[] => [
    `=!= ${dockerfile}: ADD ${url}: Berth does not let ADD download at build time.`,
    '    Put the file in the repository and COPY it instead.',
  ],
} as const;
