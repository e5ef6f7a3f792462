#!/usr/bin/env bash
# Smoke test of the Wharf Docker image, the way docker-compose.yml runs it:
# builds the image from the Dockerfile (local base images, no registry), runs
# it non-root with the Docker socket mounted on a user-defined network, signs
# in, deploys one instance through the containerised Wharf (upstream mode
# "network"), routed by a Caddy container configured from deploy/caddy.json
# (the docker-compose.yml topology), and cleans up after itself.
#
# Caddy: no registry here, so the caddy:2 image of docker-compose.yml is
# stood in for by the host's Debian caddy binary in a local image
# (wharf-test/caddy:local, FROM the runtime base image). Without
# /usr/bin/caddy the Caddy checks are skipped (SKIP lines).
#
#   bash test/image/smoke.sh
#
# Environment:
#   WHARF_SMOKE_IMAGE=wharf:ci     image tag to build and test
#   WHARF_SMOKE_SKIP_BUILD=1       test an existing image as it is
#   WHARF_SMOKE_KEEP=1             leave the container and network for debugging
#
# Traffic goes to 127.0.0.1 only (a published port); the last line is
# "N passed, N failed" and the exit code is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. test/image/local-images.sh

IMAGE=${WHARF_SMOKE_IMAGE:-wharf:ci}
NET=wharf-smoke
CONTROL_NET=wharf-smoke-control
APP=wharf-smoke-app
CADDY=wharf-smoke-caddy
CADDY_IMAGE=wharf-test/caddy:local
BASE_IMAGE=${WHARF_BASE_IMAGE:-wharf-base:bookworm-node20}
BUILD_IMAGE=${WHARF_BUILD_IMAGE:-wharf-base:bookworm-node20-build}
SOCK=/var/run/docker.sock
ADMIN_EMAIL=smoke-admin@example.com
ADMIN_PASSWORD=smoke-password-123
TEST_IMAGE=wharf-test/web:v1

SMOKE_TAG=smoke
. test/image/lib.sh

work=$(mktemp -d /tmp/wharf-smoke.XXXXXX)
jar=$work/cookies.txt
instance_id=""
port=""

cleanup() {
  local rc=$?
  set +e
  if [[ $summarized == 0 ]]; then # a command failed outside the checks (set -e)
    [[ $rc -ne 0 ]] || rc=1
    fail "smoke test aborted before its checks finished (exit $rc; see the output above)"
    finish
  fi
  if [[ ${WHARF_SMOKE_KEEP:-0} == 1 ]]; then
    log "WHARF_SMOKE_KEEP=1: leaving $APP (http://127.0.0.1:$port), network $NET, instance ${instance_id:-none}"
  else
    # The instance through the API first (Wharf removes its own container);
    # then whatever of this run's instance is left, by its label only.
    if [[ -n $instance_id && -n $port ]] && docker inspect -f '{{.State.Running}}' "$APP" 2>/dev/null | grep -q true; then
      curl -s -o /dev/null -m 20 -b "$jar" -H "Origin: http://127.0.0.1:$port" -X DELETE "http://127.0.0.1:$port/api/instances/$instance_id"
    fi
    if [[ -n $instance_id ]]; then
      ids=$(docker ps -aq --filter "label=wharf.instance=$instance_id")
      [[ -z $ids ]] || docker rm -fv $ids >/dev/null
    fi
    docker rm -fv "$APP" "$CADDY" >/dev/null 2>&1
    docker network rm "$NET" "$CONTROL_NET" >/dev/null 2>&1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# JSON field from stdin: jget 'a.b' (prints "" when missing).
# curl against the containerised Wharf with the session cookie; body to stdout,
# status code in $work/status.
api() { # method, path, [json body]
  local args=(-s -m 30 -o "$work/body" -w '%{http_code}' -b "$jar" -c "$jar" -H "Origin: http://127.0.0.1:$port" -X "$1")
  [[ $# -ge 3 ]] && args+=(-H 'content-type: application/json' --data "$3")
  curl "${args[@]}" "http://127.0.0.1:$port$2" >"$work/status" || echo 000 >"$work/status"
  cat "$work/body" 2>/dev/null || true
}
status() { cat "$work/status"; }
wait_health() { # seconds → 0 when /api/health answered 200
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    [[ $(curl -s -m 5 -o "$work/health" -w '%{http_code}' "http://127.0.0.1:$port/api/health" || true) == 200 ]] && return 0
    docker inspect -f '{{.State.Running}}' "$APP" 2>/dev/null | grep -q true || return 1
    sleep 1
  done
  return 1
}
login() { # → 0 when the credentials flow ends with a session for ADMIN_EMAIL
  rm -f "$jar"
  local csrf
  csrf=$(api GET /api/auth/csrf | jget csrfToken)
  [[ -n $csrf ]] || { log "no csrfToken (HTTP $(status))"; return 1; }
  curl -s -m 30 -o /dev/null -b "$jar" -c "$jar" -H "Origin: http://127.0.0.1:$port" \
    --data-urlencode "csrfToken=$csrf" --data-urlencode "email=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
    --data-urlencode "callbackUrl=http://127.0.0.1:$port/" --data-urlencode "json=true" \
    "http://127.0.0.1:$port/api/auth/callback/credentials"
  session_has_email
}
session_has_email() { [[ $(api GET /api/auth/session | jget user.email) == "$ADMIN_EMAIL" ]]; }

# ------------------------------------------------------------------ prepare
docker info >/dev/null 2>&1 || timed services bash test/services/start.sh
[[ -S $SOCK ]] || { echo "no Docker socket at $SOCK" >&2; exit 1; }
sock_gid=$(stat -c %g "$SOCK")

if [[ ${WHARF_SMOKE_SKIP_BUILD:-0} != 1 ]]; then
  if ! timed base-images bash test/image/base.sh; then fail "base images (test/image/base.sh)"; finish; exit 1; fi
  build_log=/tmp/wharf-smoke-build.log
  log "docker build -t $IMAGE (legacy builder, --network host; log: $build_log)"
  build() {
    DOCKER_BUILDKIT=0 docker build --network host --force-rm \
      --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg BUILD_IMAGE="$BUILD_IMAGE" \
      -t "$IMAGE" . >"$build_log" 2>&1 || { tail -40 "$build_log" >&2; return 1; }
  }
  previous=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  if timed image-build build; then pass "image builds ($IMAGE)"; else fail "image builds ($IMAGE)"; finish; exit 1; fi
  # Housekeeping without a blanket prune (the engine is shared, and the
  # untagged build stage is the layer cache of the next build): remove the
  # image this build replaced and earlier build stages (untagged images
  # derived from the build base image) other than this build's.
  if [[ -n $previous && $previous != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  stage=$(awk '/^Step [0-9]+\/[0-9]+ : FROM \$\{BASE_IMAGE\}/ { print id; exit } /^ ---> [0-9a-f]+$/ { id = $2 }' "$build_log")
  if [[ -n $stage ]]; then
    for old in $(docker images -q -f dangling=true -f label=wharf.base.npm); do
      [[ $old == "$stage" ]] || docker rmi "$old" >/dev/null 2>&1 || true
    done
  fi
fi
docker image inspect "$IMAGE" >/dev/null 2>&1 || { fail "image $IMAGE exists"; finish; exit 1; }
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
log "image $IMAGE: $((size / 1000000)) MB"

docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 || timed test-images bash test/images/build.sh

# Leftovers of an interrupted earlier run.
docker rm -fv "$APP" "$CADDY" >/dev/null 2>&1 || true
docker network rm "$NET" "$CONTROL_NET" >/dev/null 2>&1 || true
docker network create "$NET" >/dev/null

port=$(free_port)

# Caddy with the repository's deploy/caddy.json, wired like docker-compose.yml:
# proxy traffic on $NET (shared with the instances), the admin API bound to
# the alias caddy-admin, which exists only on the internal control network
# that Wharf and Caddy share; HTTP/HTTPS published on loopback.
use_caddy=0
if command -v caddy >/dev/null 2>&1; then
  caddy_bin=$(readlink -f "$(command -v caddy)")
  ensure_caddy_image "$CADDY_IMAGE" "$BASE_IMAGE"
  p80=$(free_port)
  p443=$(free_port)
  while [[ $p443 == "$p80" || $p443 == "$port" || $p80 == "$port" ]]; do p80=$(free_port); p443=$(free_port); done
  docker network create --internal "$CONTROL_NET" >/dev/null
  docker create --name "$CADDY" --network "$NET" -p "127.0.0.1:$p80:80" -p "127.0.0.1:$p443:443" \
    -v "$PWD/deploy/caddy.json:/etc/caddy/caddy.json:ro" "$CADDY_IMAGE" >/dev/null
  docker network connect --alias caddy-admin "$CONTROL_NET" "$CADDY"
  docker start "$CADDY" >/dev/null
  use_caddy=1
  log "caddy $($caddy_bin version | cut -d' ' -f1) as $CADDY (deploy/caddy.json; http 127.0.0.1:$p80, https 127.0.0.1:$p443)"
else
  skip "Caddy checks: no caddy binary on this host (apt-get install caddy)"
fi
log "starting $APP on 127.0.0.1:$port (network $NET, socket gid $sock_gid)"
# The image's own HEALTHCHECK command, polled faster than its 30 s default so
# the test can see it turn healthy.
start_app() {
  docker create --name "$APP" --network "$NET" -p "127.0.0.1:$port:3000" \
    -v "$SOCK:/var/run/docker.sock" --group-add "$sock_gid" \
    -e WHARF_ADMIN_EMAIL="$ADMIN_EMAIL" -e WHARF_ADMIN_PASSWORD="$ADMIN_PASSWORD" -e LOG_LEVEL=info \
    --health-interval 2s --health-start-period 5s \
    "$IMAGE" >/dev/null
  if [[ $use_caddy == 1 ]]; then docker network connect "$CONTROL_NET" "$APP"; fi
  docker start "$APP" >/dev/null
}
timed container-start start_app
app_log() { docker logs --tail 30 "$APP" 2>&1 | sed 's/^/    | /'; }

# ------------------------------------------------------------------- checks
t_up=$SECONDS
if wait_health 60; then
  timings+=("ready: $((SECONDS - t_up)) s")
  pass "/api/health answers 200 ($(cat "$work/health"))"
else
  fail "/api/health answers 200 within 60 s"; app_log; finish; exit 1
fi
check "health: db ok" test "$(jget db <"$work/health")" = ok
check "health: docker ok (socket usable by the container user)" test "$(jget docker <"$work/health")" = ok

uid=$(docker exec "$APP" id -u 2>/dev/null || echo "?")
check "runs as a non-root user (uid $uid, Config.User $(docker image inspect -f '{{.Config.User}}' "$IMAGE"))" test "$uid" != 0 -a "$uid" != "?"
check "data volume is /app/data, owned by the app user" \
  test "$(docker exec "$APP" stat -c '%u %a' /app/data/secrets.json 2>/dev/null)" = "$uid 600"

hc_ok() {
  local deadline=$((SECONDS + 30)) s
  while ((SECONDS < deadline)); do
    s=$(docker inspect -f '{{.State.Health.Status}}' "$APP" 2>/dev/null || true)
    [[ $s == healthy ]] && return 0
    sleep 1
  done
  log "health status: $s"; return 1
}
check "Docker HEALTHCHECK (node → /api/health) reports healthy" hc_ok

check "login: credentials flow gives a session for $ADMIN_EMAIL" login

# The CLI is built into the image (bundled, no tsx or sources) and works on
# the running app's data dir, as `docker compose exec wharf wharf …` would.
cli_list() { docker exec "$APP" wharf dns list >"$work/cli-list" 2>&1 && grep -q '^mode: ' "$work/cli-list"; }
cli_sync() { docker exec "$APP" wharf dns sync --dry-run >"$work/cli-sync" 2>&1 && grep -q '^dry run: ' "$work/cli-sync"; }
check "CLI in the image: wharf dns list" cli_list
check "CLI in the image: wharf dns sync --dry-run" cli_sync
# The server (PID 1) runs with the node options of `npm start` (package.json config.serverNodeOptions, the heap limit).
want_node_options=$(node -p 'require("./package.json").config.serverNodeOptions')
server_node_options() { docker exec "$APP" sh -c 'tr "\0" "\n" </proc/1/environ' | grep -qxF "NODE_OPTIONS=$want_node_options"; }
check "server runs with NODE_OPTIONS=$want_node_options (as npm start)" server_node_options
check "CLI in the image: no tsx and no TypeScript sources shipped" bash -c "! docker exec $APP sh -c 'test -e /app/node_modules/tsx || test -e /app/cli/wharf.ts || test -d /app/lib'"

provider=""
[[ $use_caddy == 1 ]] && provider=',"provider":{"type":"caddy","adminUrl":"http://caddy-admin:2019","server":"wharf"}'
settings='{"proxy":{"upstream":{"mode":"network","network":"'"$NET"'"}'"$provider"'},"docker":{"network":"'"$NET"'"}}'
body=$(api PUT /api/settings "$settings")
mode=$(jget proxy.upstream.mode <<<"$body")
check "settings: upstream mode network on $NET$([[ $use_caddy == 1 ]] && echo ", proxy provider caddy at http://caddy-admin:2019") (HTTP $(status))" \
  test "$(status)" = 200 -a "$mode" = network
if [[ $use_caddy == 1 ]]; then
  proxy_health=$(curl -s -m 10 "http://127.0.0.1:$port/api/health" | jget proxy)
  check "health: proxy ok (Wharf reaches Caddy's admin API on the control network)" test "$proxy_health" = ok
fi

deploy() {
  local body
  body=$(api POST /api/instances '{"name":"smoke","image":"'"$TEST_IMAGE"'","port":8080}')
  instance_id=$(jget id <<<"$body")
  [[ $(status) == 202 || $(status) == 200 || $(status) == 201 ]] && [[ -n $instance_id ]] || { log "POST /api/instances → HTTP $(status): $body"; return 1; }
  local deadline=$((SECONDS + 90)) st=""
  while ((SECONDS < deadline)); do
    body=$(api GET "/api/instances/$instance_id")
    st=$(jget status <<<"$body")
    case $st in
      running) return 0 ;;
      failed | error | crashed) break ;;
    esac
    sleep 1
  done
  log "instance status '$st': $body"
  api GET "/api/instances/$instance_id/deployments" | head -c 2000; echo
  return 1
}
t_deploy=$SECONDS
if deploy; then
  timings+=("deploy: $((SECONDS - t_deploy)) s")
  pass "deploy through the containerised Wharf: instance smoke is running"
else
  fail "deploy through the containerised Wharf: instance smoke is running within 90 s"; app_log
fi

managed=$([[ -n $instance_id ]] && docker ps --filter "label=wharf.instance=$instance_id" --filter label=wharf.managed=true --format '{{.Names}} {{.Networks}}' || true)
check "docker CLI: a running container labelled wharf.managed=true for the instance (${managed:-none})" \
  test -n "$managed" -a "${managed#* }" = "$NET"

if [[ $use_caddy == 1 && -n $instance_id ]]; then
  inst=$(api GET "/api/instances/$instance_id")
  fqdn=$(jget fqdn <<<"$inst")
  check "instance route at Caddy: $(jget route.status <<<"$inst") ($fqdn)" test "$(jget route.status <<<"$inst")" = active
  # The server listens on :80 and :443: plain HTTP is served as is, HTTPS
  # with a certificate from Caddy's automatic HTTPS (its internal CA for
  # *.localhost; a public name gets one from Let's Encrypt). Loopback only.
  via_caddy() { # scheme
    local deadline=$((SECONDS + 20)) url
    [[ $1 == https ]] && url=(--connect-to "$fqdn:443:127.0.0.1:$p443" "https://$fqdn/") || url=(-H "Host: $fqdn" "http://127.0.0.1:$p80/")
    while ((SECONDS < deadline)); do
      curl -sk -m 5 "${url[@]}" 2>/dev/null | grep -q 'wharf-test v1' && return 0
      sleep 1
    done
    return 1
  }
  # Wharf's TLS (internal CA for a .localhost base domain): once the
  # instance's certificate is issued, plain HTTP redirects to HTTPS.
  http_redirects() {
    local deadline=$((SECONDS + 20)) got
    while ((SECONDS < deadline)); do
      got=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $fqdn" "http://127.0.0.1:$p80/" 2>/dev/null || true)
      [[ $got == "308 https://$fqdn/" ]] && return 0
      sleep 1
    done
    log "http answer: $got"; return 1
  }
  check "via Caddy: http://$fqdn redirects to https://$fqdn/ (certificate issued: $(jget tls.status <<<"$inst"))" http_redirects
  check "via Caddy: https://$fqdn serves the instance (TLS by Caddy)" via_caddy https
  # The admin API has no authentication: a container on the shared network
  # (where every instance lives) must reach Caddy's proxy port but not the
  # admin API. Probed from a throw-away container of the Wharf image (node;
  # busybox's static wget cannot resolve names) attached to $NET only.
  admin_closed() {
    local r
    r=$(docker run --rm --network "$NET" "$IMAGE" node -e '
      const http = require("http");
      const get = (host, port) => new Promise((done) => {
        const q = http.get({ host, port, path: "/config/", timeout: 3000 }, (s) => { s.resume(); done(String(s.statusCode)); });
        q.on("error", (e) => done(e.code || "ERR"));
        q.on("timeout", () => { q.destroy(); done("TIMEOUT"); });
      });
      Promise.all([get(process.argv[1], 80), get(process.argv[1], 2019), get("caddy-admin", 2019)]).then((r) => console.log(r.join(" ")));
    ' "$CADDY" 2>&1 || true)
    log "from $NET: $CADDY:80 → ${r%% *}, $CADDY:2019 and caddy-admin:2019 → ${r#* }"
    [[ $r =~ ^[0-9]{3}\ [A-Z_]+\ [A-Z_]+$ ]]
  }
  check "the instance network reaches Caddy's :80 but not its admin API (bound to the control network only)" admin_closed
fi

# Restart: the database, the first admin and the generated secrets live in
# the volume, so the old session cookie stays valid and nothing is re-created.
t_restart=$SECONDS
docker restart -t 20 "$APP" >/dev/null
if wait_health 60; then
  timings+=("restart: $((SECONDS - t_restart)) s")
  check "after a restart: same session still valid (secrets.json persisted in the volume)" session_has_email
  if [[ -n $instance_id ]]; then
    st=$(api GET "/api/instances/$instance_id" | jget status)
    check "after a restart: instance still running ($st)" test "$st" = running
  fi
else
  fail "after a restart: /api/health answers 200 within 60 s"; app_log
fi

if [[ -n $instance_id ]]; then
  api DELETE "/api/instances/$instance_id" >/dev/null
  del_status=$(status)
  gone() {
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
      [[ -z $(docker ps -aq --filter "label=wharf.instance=$instance_id") ]] && return 0
      sleep 1
    done
    return 1
  }
  check "DELETE /api/instances/{id} (HTTP $del_status) removes the container" gone
fi

# SIGTERM to PID 1 (node server.js) must stop the server, not wait for SIGKILL.
t_stop=$SECONDS
docker stop -t 15 "$APP" >/dev/null
stop_s=$((SECONDS - t_stop))
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$APP")
timings+=("stop: $stop_s s")
check "docker stop: exits on SIGTERM in ${stop_s} s (exit code $exit_code, not killed)" test "$stop_s" -lt 14 -a "$exit_code" != 137

finish
