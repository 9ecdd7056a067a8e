# Config vars (one file per variable in ENV_DIR) are visible to pip and the app's build hooks,
# except those that would break the build environment itself.
export_env_dir() {
  local env_dir=$1 file name
  [[ -n $env_dir && -d $env_dir ]] || return 0
  for file in "$env_dir"/*; do
    [[ -f $file ]] || continue
    name=$(basename "$file")
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $name in
      PATH | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LANG | BUILD_DIR | PYTHONHOME | VIRTUAL_ENV) continue ;;
    esac
    export "$name=$(cat "$file")"
  done
}

# Sourced at dyno start, after config vars: every default is ${VAR:-...} so config vars win.
write_profile_d() {
  mkdir -p "$BUILD_DIR/.profile.d"
  cat >"$BUILD_DIR/.profile.d/python.sh" <<'PROFILE'
export PATH="$HOME/.heroku/python/bin:$PATH"
export PYTHONUNBUFFERED=${PYTHONUNBUFFERED:-true}
export PYTHONHASHSEED=${PYTHONHASHSEED:-random}
export PYTHONPATH=${PYTHONPATH:-$HOME}
export LANG=${LANG:-C.UTF-8}
export PIP_DISABLE_PIP_VERSION_CHECK=${PIP_DISABLE_PIP_VERSION_CHECK:-1}
PROFILE
}

# For a later buildpack: the venv's python/pip first on PATH (via the /app/.heroku symlink).
write_export() {
  [[ -w $BP_DIR ]] || return 0
  cat >"$BP_DIR/export" <<'EXPORT'
export PATH="/app/.heroku/python/bin:$PATH"
export PYTHONUNBUFFERED=true
EXPORT
}
