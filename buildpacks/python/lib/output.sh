# Heroku-style build output: "-----> " step headers, seven-space indented detail, " !     " errors.
header() { printf -- '-----> %s\n' "$*"; }
info() { printf '       %s\n' "$*"; }
warn() { printf ' !     %s\n' "$*"; }
indent() { sed -u 's/^/       /'; }

# Runs "$@" with stdout+stderr indented, also kept in $RUN_LOG; returns the command's status.
run_indented() {
  set +e
  "$@" 2>&1 | tee "$RUN_LOG" | indent
  local status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

fail() {
  local line
  for line in "$@"; do warn "$line"; done
  exit 1
}
