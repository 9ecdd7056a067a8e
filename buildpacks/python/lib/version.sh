# Which Python the app asks for, and whether this stack has it. The stack image carries one
# Python (Debian's python3); apps are honoured when they ask for its major.minor.

stack_python_version() { python3 -c 'import platform; print(platform.python_version())'; }

# Sets REQUESTED_VERSION and VERSION_SOURCE (both empty when the app does not say).
read_requested_version() {
  REQUESTED_VERSION='' VERSION_SOURCE=''
  local raw
  if [[ -f $BUILD_DIR/.python-version ]]; then
    VERSION_SOURCE=.python-version
    raw=$(grep -vE '^[[:space:]]*(#|$)' "$BUILD_DIR/.python-version" | head -n 1 || true)
  elif [[ -f $BUILD_DIR/runtime.txt ]]; then
    VERSION_SOURCE=runtime.txt
    raw=$(grep -vE '^[[:space:]]*(#|$)' "$BUILD_DIR/runtime.txt" | head -n 1 || true)
    raw=${raw#python-}
  else
    return 0
  fi
  raw=$(printf '%s' "$raw" | tr -d '[:space:]')
  if [[ ! $raw =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]]; then
    fail "Invalid Python version in $VERSION_SOURCE: '$raw'" \
      "Give a version such as 3.13 (.python-version) or python-3.13 (runtime.txt)."
  fi
  REQUESTED_VERSION=$raw
}

major_minor() { local IFS=.; read -r a b _ <<<"$1"; printf '%s.%s' "$a" "$b"; }
