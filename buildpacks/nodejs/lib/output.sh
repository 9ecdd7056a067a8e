# Heroku-style build output: step headers start with "-----> ", everything under a step is
# indented seven spaces, errors start with " !     ". All of it goes to stdout so that the
# platform sees one stream in the order it was written.

header() { printf -- '-----> %s\n' "$*"; }
info() { printf '       %s\n' "$*"; }
blank() { printf '       \n'; }
warn() { printf ' !     %s\n' "$*"; }

# Streams a command's output indented, line by line (sed -u: do not hold lines back).
indent() { sed -u 's/^/       /'; }

# Runs "$@" with stdout+stderr indented; returns the command's own exit status.
run_indented() {
  set +e
  "$@" 2>&1 | indent
  local status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

# Prints an error block and exits 1.
fail() {
  local line
  for line in "$@"; do warn "$line"; done
  exit 1
}
