# Package manager choice (by lockfile), installing, build scripts and pruning.
# Needs: output.sh, BUILD_DIR, TOOL_CACHE_ROOT (after cache_restore).

pkg_json() { jq -r "$1 // empty" "$BUILD_DIR/package.json"; }
has_script() { [[ -n $(jq -r --arg s "$1" '.scripts[$s] // empty' "$BUILD_DIR/package.json") ]]; }

# Sets PACKAGE_MANAGER (npm|yarn|pnpm) and LOCKFILE (empty when there is none).
choose_package_manager() {
  local found=()
  [[ -f $BUILD_DIR/package-lock.json ]] && found+=(package-lock.json)
  [[ -f $BUILD_DIR/npm-shrinkwrap.json && ! -f $BUILD_DIR/package-lock.json ]] && found+=(npm-shrinkwrap.json)
  [[ -f $BUILD_DIR/yarn.lock ]] && found+=(yarn.lock)
  [[ -f $BUILD_DIR/pnpm-lock.yaml ]] && found+=(pnpm-lock.yaml)
  if ((${#found[@]} > 1)); then
    header "Build failed"
    fail "Two different lockfiles found: ${found[*]}" \
      "Package managers each write their own lockfile; keep the one you use and delete the others," \
      "so that the build installs exactly what you tested."
  fi
  LOCKFILE=${found[0]:-}
  case $LOCKFILE in
    yarn.lock) PACKAGE_MANAGER=yarn ;;
    pnpm-lock.yaml) PACKAGE_MANAGER=pnpm ;;
    *)
      PACKAGE_MANAGER=npm
      # No lockfile: package.json's "packageManager" may still name yarn or pnpm.
      if [[ -z $LOCKFILE ]]; then
        case $(pkg_json .packageManager) in
          yarn@*) PACKAGE_MANAGER=yarn ;;
          pnpm@*) PACKAGE_MANAGER=pnpm ;;
        esac
      fi
      ;;
  esac
}

# The version a package.json asks for: engines.<tool>, else "packageManager": "<tool>@<version>[+hash]".
requested_version() {
  local tool=$1 engines manager
  engines=$(pkg_json ".engines.$tool")
  if [[ -n $engines ]]; then
    printf '%s' "$engines"
    return 0
  fi
  manager=$(pkg_json .packageManager)
  if [[ $manager == "$tool@"* ]]; then
    manager=${manager#"$tool@"}
    printf '%s' "${manager%%+*}"
  fi
}

yarn_is_berry() { [[ ${YARN_VERSION%%.*} -ge 2 ]]; }

pm_env() {
  export npm_config_cache="$TOOL_CACHE_ROOT/npm"
  export YARN_CACHE_FOLDER="$TOOL_CACHE_ROOT/yarn"
  export npm_config_store_dir="$TOOL_CACHE_ROOT/pnpm-store"
  export npm_config_update_notifier=false
  if [[ -d $BUILD_DIR/.heroku/node/include/node ]]; then
    # node-gyp: use the headers that came with this Node.js instead of downloading them.
    export npm_config_nodedir="$BUILD_DIR/.heroku/node"
  fi
}

run_script() {
  local script=$1
  case $PACKAGE_MANAGER in
    npm) run_indented npm run "$script" ;;
    yarn) run_indented yarn run "$script" ;;
    pnpm) run_indented pnpm run "$script" ;;
  esac
}

script_failed() {
  local script=$1 status=$2
  header "Build failed"
  blank
  fail "The \"$script\" script in package.json failed (exit status $status); its output is above." \
    "Failed to build the Node.js app. Troubleshooting: https://devcenter.heroku.com/articles/troubleshooting-node-deploys"
}

install_dependencies() {
  local status=0
  header "Installing dependencies"
  if has_script heroku-prebuild; then
    info "Running heroku-prebuild"
    run_script heroku-prebuild || script_failed heroku-prebuild $?
    blank
  fi
  case $PACKAGE_MANAGER in
    npm)
      local dev=(--include=dev)
      [[ ${NPM_CONFIG_PRODUCTION:-} == true ]] && dev=()
      if [[ -n $LOCKFILE ]]; then
        info "Installing node modules (package.json + $LOCKFILE)"
        run_indented npm ci "${dev[@]}" || status=$?
      else
        info "Installing node modules (package.json)"
        run_indented npm install "${dev[@]}" || status=$?
      fi
      ;;
    yarn)
      info "Installing node modules (${LOCKFILE:-package.json})"
      if yarn_is_berry; then
        local immutable=(--immutable)
        [[ -n $LOCKFILE ]] || immutable=()
        run_indented yarn install "${immutable[@]}" || status=$?
      else
        local frozen=(--frozen-lockfile)
        [[ -n $LOCKFILE ]] || frozen=()
        run_indented yarn install "${frozen[@]}" --production=false --non-interactive || status=$?
      fi
      ;;
    pnpm)
      info "Installing node modules (${LOCKFILE:-package.json})"
      local frozen=(--frozen-lockfile)
      [[ -n $LOCKFILE ]] || frozen=()
      npm_config_production=false run_indented pnpm install "${frozen[@]}" || status=$?
      ;;
  esac
  if ((status != 0)); then
    header "Build failed"
    blank
    fail "Installing dependencies with $PACKAGE_MANAGER failed (exit status $status); its output is above."
  fi
  blank
}

run_build_scripts() {
  header "Build"
  if has_script heroku-postbuild; then
    if has_script build; then info 'Detected both "build" and "heroku-postbuild" scripts'; fi
    info "Running heroku-postbuild"
    run_script heroku-postbuild || script_failed heroku-postbuild $?
  elif has_script build; then
    info "Running build"
    run_script build || script_failed build $?
  fi
  blank
}

prune_dev_dependencies() {
  header "Pruning devDependencies"
  if [[ ${NODE_ENV:-} != production ]]; then
    info "Skipping because NODE_ENV is not 'production'"
  elif [[ ${NPM_CONFIG_PRODUCTION:-} == false ]]; then
    info "Skipping because NPM_CONFIG_PRODUCTION is 'false'"
  elif [[ ${YARN_PRODUCTION:-} == false ]]; then
    info "Skipping because YARN_PRODUCTION is 'false'"
  elif [[ -z $(pkg_json '.devDependencies // {} | keys[]') ]]; then
    info "Skipping because package.json has no devDependencies"
  else
    local status=0
    case $PACKAGE_MANAGER in
      npm) run_indented npm prune --omit=dev || status=$? ;;
      yarn)
        if yarn_is_berry; then
          info "Skipping: pruning is not done for Yarn $YARN_VERSION (Yarn 2+)"
        else
          run_indented yarn install --frozen-lockfile --production=true --ignore-scripts \
            --prefer-offline --non-interactive || status=$?
        fi
        ;;
      pnpm) run_indented pnpm prune --prod || status=$? ;;
    esac
    if ((status != 0)); then
      header "Build failed"
      fail "Pruning devDependencies with $PACKAGE_MANAGER failed (exit status $status); its output is above."
    fi
  fi
  blank
}
