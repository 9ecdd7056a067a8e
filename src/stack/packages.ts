// Both heroku-24 package sets in one place (DESIGN.md "Stack images"). Debian 13 names.
// The build image is the run image plus BUILD_EXTRA, so whatever a build links against or
// puts in a venv exists, at the same version, when the slug runs.

/** On top of debootstrap's minbase (essential + apt): what the bundled buildpacks and apps need at run time. */
export const RUN_PACKAGES: readonly string[] = [
  'bash',
  'ca-certificates',
  'curl',
  'openssl',
  'python3',
  // So a venv made at build time (python3 -m venv) runs in the run image.
  'python3-venv',
  'procps',
  'netbase',
  'tzdata',
  'tar',
  'gzip',
  'xz-utils',
  'bzip2',
  'unzip',
  'zstd',
  'jq',
  'less',
];

/** Added in the build image: compilers, headers, git, the tools buildpacks call. */
export const BUILD_EXTRA_PACKAGES: readonly string[] = [
  'build-essential',
  'git',
  'python3-dev',
  'pkg-config',
  'libssl-dev',
  'libffi-dev',
  'zlib1g-dev',
  'libsqlite3-dev',
  'libyaml-dev',
  'file',
  'patch',
  'rsync',
];

/** The add-on server image: the run image plus Debian's database servers (DESIGN.md "Add-on servers"). */
export const ADDON_SERVER_PACKAGES: readonly string[] = ['postgresql', 'redis-server'];
