#!/usr/bin/env bash
# Builds the tiny local images the Docker integration tests run. No registry
# is reachable here, so every image starts FROM scratch with Debian's static
# busybox, built by the legacy builder (BuildKit would try to resolve
# frontends remotely).
#
#   bash test/images/build.sh           build what is missing or out of date
#   bash test/images/build.sh --force   rebuild everything
#
# Each image carries a hash of its own definition: an image that exists but
# was built from an older version of this script is rebuilt.
set -euo pipefail

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

busybox=${WHARF_BUSYBOX:-/bin/busybox}
if [[ ! -x "$busybox" ]] || ldd "$busybox" >/dev/null 2>&1; then
  echo "need a static busybox at $busybox (apt-get install -y busybox-static)" >&2
  exit 1
fi
docker info >/dev/null 2>&1 || { echo "docker engine not reachable; run: bash test/services/start.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

base='FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
COPY www /www
LABEL wharf.test="true"
EXPOSE 8080'
# httpd as PID 1 would ignore SIGTERM (the kernel drops signals PID 1 has no
# handler for) and every docker stop would wait out the grace period; a shell
# with a trap behaves like an app that shuts down cleanly.
serve="httpd -f -v -p 8080 -h /www & pid=\$!; trap 'kill \$pid; exit 0' TERM; wait \$pid"
# Probe via 127.0.0.1, not localhost: nothing guarantees name resolution in a scratch image.
hc_ok='HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD ["wget","-q","-O","/dev/null","http://127.0.0.1:8080/health"]'
hc_fail='HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["false"]'

cmd() { printf 'CMD ["sh","-c","%s"]' "$1"; }

# tag | index.html text | Dockerfile lines after the base
images=(
  "wharf-test/web:v1|wharf-test v1|$(cmd "echo 'wharf-test web v1 starting'; $serve")"
  "wharf-test/web:v2|wharf-test v2|$(cmd "echo 'wharf-test web v2 starting'; $serve")"
  "wharf-test/web-hc:v1|wharf-test v1 (healthcheck)|$hc_ok
$(cmd "echo 'wharf-test web-hc v1 starting'; $serve")"
  "wharf-test/crash:v1|wharf-test crash|$(cmd "echo 'wharf-test crash: exiting with code 3' >&2; exit 3")"
  "wharf-test/unhealthy:v1|wharf-test unhealthy|$hc_fail
$(cmd "echo 'wharf-test unhealthy v1 starting'; $serve")"
  "wharf-test/slow:v1|wharf-test slow|$(cmd "echo 'wharf-test slow: sleeping 3s before serving'; sleep 3; $serve")"
)

busybox_sum=$(sha256sum "$busybox" | cut -c1-16)
built=() skipped=()
for entry in "${images[@]}"; do
  tag=${entry%%|*}
  rest=${entry#*|}
  text=${rest%%|*}
  extra=${rest#*|}
  dockerfile="$base
$extra"
  hash=$(printf '%s\n%s\n%s' "$dockerfile" "$text" "$busybox_sum" | sha256sum | cut -c1-16)

  current=$(docker image inspect -f '{{index .Config.Labels "wharf.test.hash"}}' "$tag" 2>/dev/null || true)
  if [[ $force -eq 0 && "$current" == "$hash" ]]; then
    skipped+=("$tag")
    continue
  fi

  ctx="$work/${tag//[\/:]/_}"
  mkdir -p "$ctx/www"
  cp "$busybox" "$ctx/busybox"
  printf '<!doctype html><title>%s</title><h1>%s</h1>\n' "$text" "$text" >"$ctx/www/index.html"
  printf 'ok\n' >"$ctx/www/health"
  printf '%s\nLABEL wharf.test.hash="%s"\n' "$dockerfile" "$hash" >"$ctx/Dockerfile"
  if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet -t "$tag" "$ctx" 2>&1); then
    echo "building $tag failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  built+=("$tag")
done

# Caddy for the managed proxy (issue 24): no registry serves caddy:2 here, so
# Debian's /usr/bin/caddy goes into a scratch image with the shared libraries
# ldd names (it is dynamically linked) and the CA bundle. Wharf starts it with
# its own command (`caddy run --config ...`), so the image needs no CMD.
caddy_tag=wharf-test/caddy:2
caddy_bin=${WHARF_CADDY_BIN:-/usr/bin/caddy}
if [[ -x "$caddy_bin" ]]; then
  libs=$(ldd "$caddy_bin" | awk '/=>/ {print $3} /^[[:space:]]*\// {print $1}' | sort -u)
  caddy_dockerfile='FROM scratch
COPY rootfs/ /
ENV PATH=/usr/bin:/bin XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
LABEL wharf.test="true"
EXPOSE 80 443 2019'
  caddy_hash=$( { printf '%s\n' "$caddy_dockerfile"; sha256sum "$caddy_bin" $libs; } | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "wharf.test.hash"}}' "$caddy_tag" 2>/dev/null || true)
  if [[ $force -eq 0 && "$current" == "$caddy_hash" ]]; then
    skipped+=("$caddy_tag")
  else
    ctx="$work/caddy"
    mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/data" "$ctx/rootfs/config" "$ctx/rootfs/tmp"
    cp "$caddy_bin" "$ctx/rootfs/usr/bin/caddy"
    for lib in $libs; do
      mkdir -p "$ctx/rootfs$(dirname "$lib")"
      cp -L "$lib" "$ctx/rootfs$lib"
    done
    cp -L /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
    printf '%s\nLABEL wharf.test.hash="%s"\n' "$caddy_dockerfile" "$caddy_hash" >"$ctx/Dockerfile"
    if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet -t "$caddy_tag" "$ctx" 2>&1); then
      echo "building $caddy_tag failed:" >&2
      echo "$out" >&2
      exit 1
    fi
    built+=("$caddy_tag")
  fi
else
  echo "skipping $caddy_tag: no caddy binary at $caddy_bin (apt-get install -y caddy)" >&2
fi

# Dangling layers of replaced builds would pile up on a long-lived test host.
if [[ ${#built[@]} -gt 0 ]]; then
  docker image prune -f --filter label=wharf.test=true >/dev/null 2>&1 || true
fi

echo "test images built: ${built[*]:-none}"
echo "test images already up to date: ${skipped[*]:-none}"
