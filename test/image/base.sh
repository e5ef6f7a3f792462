#!/usr/bin/env bash
# Builds, without any image registry, the two local base images Wharf's
# Dockerfile needs in CI (see docs/deploying.md, "Building without a registry"):
#
#   wharf-base:bookworm-node20        runtime: Debian 12 minbase (debootstrap)
#                                     + the host's Node 20 binary
#   wharf-base:bookworm-node20-build  build stage: the above + the host's npm,
#                                     Node headers (node-gyp compiles
#                                     better-sqlite3 with them: its prebuilt
#                                     binary is on GitHub, unreachable here),
#                                     python3/make/g++ and the host's CA bundle
#                                     (the npm registry is reached through a
#                                     TLS-intercepting egress proxy).
#
#   bash test/image/base.sh           build what is missing or out of date
#   bash test/image/base.sh --force   rebuild both
#
# Cached: each image carries a hash of this script and of the host's node/npm;
# an existing image with the same hash is kept.
#
# Needs: root, a Docker engine (bash test/services/start.sh), the Debian mirror
# (debootstrap, apt), /usr/bin/node v20 and its npm. The build image's
# apt-get runs in `docker build --network host` (the engine has no bridge).
set -euo pipefail

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

RUNTIME_TAG=${WHARF_BASE_IMAGE:-wharf-base:bookworm-node20}
BUILD_TAG=${WHARF_BUILD_IMAGE:-wharf-base:bookworm-node20-build}
SUITE=bookworm
MIRROR=${WHARF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_BIN=$(readlink -f "$(command -v node)")
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") # …/node_modules/npm
NODE_INCLUDE=${WHARF_NODE_INCLUDE:-$(dirname "$(dirname "$NODE_BIN")")/include/node}
CA_BUNDLE=${WHARF_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

log() { printf '[base] %s\n' "$*"; }
die() { printf '[base] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot)"
docker info >/dev/null 2>&1 || die "docker engine not reachable; run: bash test/services/start.sh"
node_version=$("$NODE_BIN" --version)
[[ $node_version == v20.* ]] || die "host node is $node_version, expected v20.x"
[[ -f $NPM_DIR/bin/npm-cli.js ]] || die "npm not found at $NPM_DIR"
[[ -f $NODE_INCLUDE/node_api.h ]] || die "node headers not found at $NODE_INCLUDE (set WHARF_NODE_INCLUDE)"
[[ -f $CA_BUNDLE ]] || die "CA bundle not found at $CA_BUNDLE"
npm_version=$(node "$NPM_DIR/bin/npm-cli.js" --version)

script_sum=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
node_sum=$(sha256sum "$NODE_BIN" | cut -c1-16)
runtime_hash=$(printf '%s %s %s' "$script_sum" "$node_sum" "$SUITE" | sha256sum | cut -c1-16)
build_hash=$(printf '%s %s %s' "$runtime_hash" "$npm_version" "$(sha256sum "$CA_BUNDLE" | cut -c1-16)" | sha256sum | cut -c1-16)

current_hash() { docker image inspect -f '{{index .Config.Labels "wharf.base.hash"}}' "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
replaced=()

work=$(mktemp -d /tmp/wharf-base.XXXXXX)
cleanup() {
  # debootstrap may leave /proc etc. mounted in the target when it fails.
  for m in proc sys dev/pts dev; do mountpoint -q "$work/rootfs/$m" 2>/dev/null && umount -l "$work/rootfs/$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- runtime base
t0=$SECONDS
if [[ $force -eq 0 && $(current_hash "$RUNTIME_TAG") == "$runtime_hash" ]]; then
  log "$RUNTIME_TAG up to date (hash $runtime_hash), skipped"
  runtime_built=0
else
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  rootfs=$work/rootfs
  log "debootstrap --variant=minbase $SUITE from $MIRROR"
  if ! debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -30 "$work/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  log "debootstrap done ($((SECONDS - t0)) s)"

  # Node: one binary. Its libraries (libstdc++6, libgcc-s1, libc6) are in
  # minbase already (apt depends on them); the check below proves it.
  install -m 0755 "$NODE_BIN" "$rootfs/usr/bin/node"
  missing=$(chroot "$rootfs" /usr/bin/ldd /usr/bin/node 2>&1 | grep 'not found' || true)
  [[ -z $missing ]] || die "node lacks libraries in the rootfs: $missing"
  [[ $(chroot "$rootfs" /usr/bin/node --version) == "$node_version" ]] || die "node does not run inside the rootfs"

  # Slim it: no package lists, caches, docs, man pages or foreign locales.
  # Plain Debian sources so apt works inside derived images.
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
    "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SUITE" >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/root/.bash_history
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
  : >"$rootfs/etc/resolv.conf"       # the engine provides one at run time
  printf 'wharf-base\n' >"$rootfs/etc/hostname"

  replaced+=("$(image_id "$RUNTIME_TAG")")
  log "docker import → $RUNTIME_TAG"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL wharf.base.hash=$runtime_hash wharf.base.node=$node_version org.opencontainers.image.description=\"Debian $SUITE minbase + Node $node_version (local, for CI)\"" \
    --change 'CMD ["node"]' \
    - "$RUNTIME_TAG" >/dev/null
  rm -rf "$rootfs"
  runtime_built=1
  log "$RUNTIME_TAG built ($((SECONDS - t0)) s)"
fi

# ------------------------------------------------------------------ build base
t1=$SECONDS
if [[ $force -eq 0 && $runtime_built -eq 0 && $(current_hash "$BUILD_TAG") == "$build_hash" ]]; then
  log "$BUILD_TAG up to date (hash $build_hash), skipped"
else
  ctx=$work/build-ctx
  mkdir -p "$ctx"
  cp -a "$NPM_DIR" "$ctx/npm"
  cp -a "$NODE_INCLUDE" "$ctx/include-node"
  cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
  cat >"$ctx/Dockerfile" <<EOF
FROM $RUNTIME_TAG
COPY npm /usr/lib/node_modules/npm
COPY include-node /usr/include/node
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/bin/npx \\
 && npm --version \\
 && apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/*
# node-gyp uses these headers instead of downloading them; npm and node trust
# the host's CA bundle (TLS-intercepting egress proxy).
ENV npm_config_nodedir=/usr \\
    npm_config_cafile=/etc/ssl/certs/ca-certificates.crt \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \\
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
LABEL wharf.base.hash="$build_hash" wharf.base.npm="$npm_version"
EOF
  replaced+=("$(image_id "$BUILD_TAG")")
  log "docker build --network host → $BUILD_TAG (npm $npm_version, python3, make, g++)"
  if ! DOCKER_BUILDKIT=0 docker build --network host --force-rm -t "$BUILD_TAG" "$ctx" >"$work/build.log" 2>&1; then
    tail -30 "$work/build.log" >&2
    die "building $BUILD_TAG failed"
  fi
  log "$BUILD_TAG built ($((SECONDS - t1)) s)"
fi

# Replaced versions of the two images only (never a blanket prune: the
# untagged stages of Wharf's own build are its layer cache). An old image
# still used by something stays.
for old in "${replaced[@]}"; do
  [[ -n $old ]] && docker rmi "$old" >/dev/null 2>&1 || true
done
for tag in "$RUNTIME_TAG" "$BUILD_TAG"; do
  size=$(docker image inspect -f '{{.Size}}' "$tag")
  log "$tag: $((size / 1000000)) MB"
done
log "done in $((SECONDS - t0)) s"
