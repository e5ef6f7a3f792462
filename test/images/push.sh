#!/usr/bin/env bash
# Pushes test images into the loopback registries of test/services/start.sh
# (127.0.0.1:5050 with htpasswd auth, 127.0.0.1:5051 public), so deploys pull
# for real.
#
#   bash test/images/push.sh                 the standard set: lab/web:v1 and v2 in both registries
#   bash test/images/push.sh SRC DEST        push local image SRC as DEST; prints DEST's repo digest
#
# Each pushed image is SRC plus one layer of random bytes, so its digest is
# new at every push (a "moved tag") and a pull downloads real bytes: the local
# DEST tag is removed after the push, leaving the engine without that layer.
set -euo pipefail

push_one() { # src dest
  local src=$1 dest=$2 host=${2%%/*} ctx
  ctx=$(mktemp -d)
  # A private client config: logging in must not touch the machine's ~/.docker.
  export DOCKER_CONFIG="$ctx/config"
  if [[ "$host" == 127.0.0.1:5050 ]]; then
    echo wharf-registry-pass | docker login -u wharf-ci --password-stdin "$host" >/dev/null 2>&1
  fi
  head -c 524288 /dev/urandom >"$ctx/blob"
  printf 'FROM %s\nCOPY blob /blob\n' "$src" >"$ctx/Dockerfile"
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q -t "$dest" "$ctx" 2>&1) || { echo "$out" >&2; return 1; }
  docker push -q "$dest" >/dev/null
  docker image inspect -f '{{index .RepoDigests 0}}' "$dest"
  docker rmi "$dest" >/dev/null
  rm -rf "$ctx"
}

if [[ $# -eq 2 ]]; then
  push_one "$1" "$2"
elif [[ $# -eq 0 ]]; then
  for reg in 127.0.0.1:5050 127.0.0.1:5051; do
    for v in v1 v2; do
      echo "pushed $(push_one "wharf-test/web:$v" "$reg/lab/web:$v")"
    done
  done
else
  echo "usage: $0 [SRC DEST]" >&2
  exit 2
fi
