# Installing the app's requirements with pip into the venv, and explaining failures to reach
# the package index (PyPI by default) in plain words.

# A requirements file that names nothing (only comments, blank lines) needs no index at all.
requirements_are_empty() { ! grep -qvE '^[[:space:]]*(#|$)' "$1"; }

pip_index() { printf '%s' "${PIP_INDEX_URL:-https://pypi.org/simple}"; }

pip_install() {
  local status=0
  run_indented "$VENV/bin/pip" install "$@" || status=$?
  ((status == 0)) && return 0
  # The index could not be reached (DNS, refused, timeout, proxy, TLS): say so, not only pip's retries.
  if grep -qE 'NewConnectionError|Max retries exceeded|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|ConnectTimeout|ReadTimeout|ProxyError|SSLError|No route to host|Network is unreachable|Connection refused|Could not fetch URL' "$RUN_LOG"; then
    fail "pip could not reach the Python package index ($(pip_index))." \
      "PyPI (or the index set by PIP_INDEX_URL) must be reachable from the build to install packages;" \
      "an app whose requirements.txt lists no packages builds without it."
  fi
  fail "pip install failed (exit status $status); its output is above."
}

# bin/pre_compile and bin/post_compile hooks in the app, run from the app's root.
run_hook() {
  local hook=$1 label=$2
  [[ -f $BUILD_DIR/bin/$hook ]] || return 0
  header "Running $label hook"
  local status=0
  (cd "$BUILD_DIR" && run_indented bash "bin/$hook") || status=$?
  ((status == 0)) || fail "bin/$hook failed (exit status $status); its output is above."
}
