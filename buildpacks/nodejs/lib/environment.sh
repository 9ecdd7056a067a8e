# Config vars arrive as one file per variable in ENV_DIR. Export them for the build, except the
# ones that would break the build environment itself (as Heroku's Node.js buildpack does).
export_env_dir() {
  local env_dir=$1 file name
  [[ -n $env_dir && -d $env_dir ]] || return 0
  for file in "$env_dir"/*; do
    [[ -f $file ]] || continue
    name=$(basename "$file")
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $name in
      PATH | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LANG | BUILD_DIR) continue ;;
    esac
    export "$name=$(cat "$file")"
  done
}

# Defaults for the build; config vars of the same name (exported above) win.
set_runtime_defaults() {
  export NPM_CONFIG_LOGLEVEL=${NPM_CONFIG_LOGLEVEL:-error}
  export NODE_VERBOSE=${NODE_VERBOSE:-false}
  export NODE_ENV=${NODE_ENV:-production}
  export NODE_MODULES_CACHE=${NODE_MODULES_CACHE:-true}
}

# What "Creating runtime environment" lists: the variables that steer npm/yarn/node, minus
# anything that looks like a credential.
list_runtime_env() {
  env | grep -E '^(NPM_CONFIG_|YARN_|NODE_)' | grep -viE '^[^=]*(AUTH|TOKEN|PASSWORD|SECRET)' \
    | grep -vE '^NODE_EXTRA_CA_CERTS=' | sort || true
}

# .profile.d script: sourced at dyno start after config vars, so every default is ${VAR:-...}.
write_profile_d() {
  local build_dir=$1
  mkdir -p "$build_dir/.profile.d"
  cat >"$build_dir/.profile.d/nodejs.sh" <<'PROFILE'
export PATH="$HOME/.heroku/node/bin:$PATH:$HOME/bin:$HOME/node_modules/.bin"
export NODE_HOME="$HOME/.heroku/node"
export NODE_ENV=${NODE_ENV:-production}
PROFILE
}

# The export file lets a later buildpack (sourced by the platform) run this Node.js.
write_export() {
  local bp_dir=$1 build_dir=$2
  [[ -w $bp_dir ]] || return 0
  cat >"$bp_dir/export" <<EXPORT
export PATH="$build_dir/.heroku/node/bin:\$PATH:$build_dir/node_modules/.bin"
export NODE_HOME="$build_dir/.heroku/node"
EXPORT
}
