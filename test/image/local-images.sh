# Sourced by test/image/smoke.sh and test/image/replicas-smoke.sh: local
# stand-ins for the registry images docker-compose.yml names (no registry
# here), each FROM the runtime base image (test/image/base.sh) and rebuilt
# only when its inputs change (a hash label on the image).
#
#   ensure_caddy_image TAG BASE_IMAGE      caddy:2 → the host's Debian caddy binary,
#                                          same paths as the official image
#   ensure_postgres_image TAG BASE_IMAGE   postgres:17 → Debian's PostgreSQL 15 with an
#                                          entrypoint like the official image's
#                                          (test/image/postgres/)
# Both return non-zero (and print why) when the image cannot be built.

_local_image_hash() { docker image inspect -f '{{index .Config.Labels "wharf.test.hash"}}' "$1" 2>/dev/null || true; }

# Builds context $3 as $1 labelled with hash $2, removing the image it replaces.
_local_image_build() { # tag, hash, context dir, [docker build args...]
  local tag=$1 hash=$2 ctx=$3 previous log
  shift 3
  previous=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  log=$(mktemp /tmp/wharf-local-image.XXXXXX)
  if ! DOCKER_BUILDKIT=0 docker build --force-rm --label wharf.test=true --label "wharf.test.hash=$hash" "$@" -t "$tag" "$ctx" >"$log" 2>&1; then
    tail -30 "$log" >&2; rm -f "$log"
    echo "building $tag failed" >&2
    return 1
  fi
  rm -f "$log"
  if [[ -n $previous && $previous != "$(docker image inspect -f '{{.Id}}' "$tag")" ]]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
}

ensure_caddy_image() { # tag, base image
  local tag=$1 base=$2 caddy_bin hash ctx rc=0
  caddy_bin=$(readlink -f "$(command -v caddy)") || { echo "no caddy binary on this host (apt-get install caddy)" >&2; return 1; }
  hash=$(printf '%s %s' "$(sha256sum "$caddy_bin" | cut -c1-16)" "$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null)" | sha256sum | cut -c1-16)
  [[ $(_local_image_hash "$tag") == "$hash" ]] && return 0
  ctx=$(mktemp -d /tmp/wharf-caddy-image.XXXXXX)
  cp "$caddy_bin" "$ctx/caddy"
  # Same paths as the official caddy:2 image (config/data volumes).
  printf '%s\n' "FROM $base" 'COPY caddy /usr/bin/caddy' 'ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data' \
    'EXPOSE 80 443 2019' 'CMD ["caddy","run","--config","/etc/caddy/caddy.json","--resume"]' >"$ctx/Dockerfile"
  _local_image_build "$tag" "$hash" "$ctx" -q || rc=$?
  rm -rf "$ctx"
  return "$rc"
}

ensure_postgres_image() { # tag, base image
  local tag=$1 base=$2 dir hash
  dir=$(dirname "${BASH_SOURCE[0]}")/postgres
  hash=$(cat "$dir/Dockerfile" "$dir/docker-entrypoint.sh" <(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null) | sha256sum | cut -c1-16)
  [[ $(_local_image_hash "$tag") == "$hash" ]] && return 0
  # apt-get inside the build: --network host (the engine has no bridge).
  _local_image_build "$tag" "$hash" "$dir" --network host --build-arg "BASE_IMAGE=$base"
}
