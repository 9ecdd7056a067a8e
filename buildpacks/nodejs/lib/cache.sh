# The per-app build cache: CACHE_DIR/node/{signature,cache/...}. It is used only when the
# signature (stack + node/npm/yarn/pnpm versions) matches the previous build's; otherwise it is
# dropped, as Heroku does.
# Needs: output.sh, BUILD_DIR, CACHE_DIR, PACKAGE_MANAGER, LOCKFILE, *_VERSION.

APP_CACHE="$CACHE_DIR/node"

cache_signature() {
  printf 'v1; %s; node %s; npm %s; yarn %s; pnpm %s\n' \
    "${STACK:-}" "$NODE_VERSION" "${NPM_VERSION:-}" "${YARN_VERSION:-}" "${PNPM_VERSION:-}"
}

cache_enabled() { [[ ${NODE_MODULES_CACHE:-true} != false ]]; }

# Which directories this build caches, as "label<TAB>path under cache/<TAB>kind".
# Package-manager caches are used in place (kind=tool); node_modules is copied (kind=copy), and only
# where the install step keeps it: `npm ci` always starts from an empty node_modules.
cache_entries() {
  case $PACKAGE_MANAGER in
    npm)
      printf 'npm cache\tnpm\ttool\n'
      [[ -n $LOCKFILE ]] || printf 'node_modules\tnode_modules\tcopy\n'
      ;;
    yarn)
      printf 'yarn cache\tyarn\ttool\n'
      printf 'node_modules\tnode_modules\tcopy\n'
      ;;
    pnpm)
      printf 'pnpm cache\tpnpm-store\ttool\n'
      printf 'node_modules\tnode_modules\tcopy\n'
      ;;
  esac
}

cache_restore() {
  header "Restoring cache"
  mkdir -p "$APP_CACHE/cache"
  if ! cache_enabled; then
    info "Caching has been disabled because NODE_MODULES_CACHE=${NODE_MODULES_CACHE}"
    rm -rf "$APP_CACHE/cache" "$APP_CACHE/signature"
    mkdir -p "$APP_CACHE/cache"
    TOOL_CACHE_ROOT=$(mktemp -d)
    blank
    return 0
  fi
  TOOL_CACHE_ROOT="$APP_CACHE/cache"
  if [[ -f $APP_CACHE/signature && $(cat "$APP_CACHE/signature") != "$(cache_signature)" ]]; then
    info "Cached directories were not restored due to a change in version of node, npm, yarn or stack"
    info "Module installation may take longer for this build"
    rm -rf "$APP_CACHE/cache" "$APP_CACHE/signature"
    mkdir -p "$APP_CACHE/cache"
    blank
    return 0
  fi
  local label path kind
  while IFS=$'\t' read -r label path kind; do
    if [[ ! -d $APP_CACHE/cache/$path ]] || [[ -z $(ls -A "$APP_CACHE/cache/$path") ]]; then
      info "- $label (not cached - skipping)"
    elif [[ $kind == copy && -e $BUILD_DIR/$path ]]; then
      info "- $label (exists - skipping)"
    else
      if [[ $kind == copy ]]; then cp -a "$APP_CACHE/cache/$path" "$BUILD_DIR/$path"; fi
      info "- $label"
    fi
  done < <(cache_entries)
  blank
}

cache_save() {
  header "Caching build"
  if ! cache_enabled; then
    info "Caching has been disabled because NODE_MODULES_CACHE=${NODE_MODULES_CACHE}"
    blank
    return 0
  fi
  rm -rf "$APP_CACHE/cache/npm/_logs" "$APP_CACHE/cache/npm/_npx"
  local label path kind
  while IFS=$'\t' read -r label path kind; do
    if [[ $kind == copy ]]; then
      rm -rf "${APP_CACHE:?}/cache/$path"
      if [[ -d $BUILD_DIR/$path ]]; then cp -a "$BUILD_DIR/$path" "$APP_CACHE/cache/$path"; fi
    fi
    if [[ -d $APP_CACHE/cache/$path && -n $(ls -A "$APP_CACHE/cache/$path") ]]; then
      info "- $label"
    else
      info "- $label (nothing to cache)"
    fi
  done < <(cache_entries)
  cache_signature >"$APP_CACHE/signature"
  blank
}
