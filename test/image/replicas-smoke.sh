#!/usr/bin/env bash
# Smoke test of docker-compose.yml's profile `replicas` (docs/deploying.md,
# "Several replicas on PostgreSQL"), run with docker-compose as a user would:
# PostgreSQL, two Wharf replicas on it, the instances' Caddy and wharf-lb (a
# Caddy balancing the UI/API, deploy/caddy-replicas.Caddyfile).
#
# In a temporary project folder (the repository's docker-compose.yml and
# deploy/, an .env with generated secrets, ports on loopback, a network name
# of its own): `docker-compose --profile replicas up -d --scale wharf=0`,
# then, through wharf-lb on 127.0.0.1 only: both replicas healthy, a sign-in
# whose session works on each replica, an instance deployed through the API
# and served by the project's Caddy, one replica killed (SIGKILL) while a
# request loop runs against wharf-lb (the other answers), the killed one
# restarted by its restart policy and serving again through wharf-lb,
# `wharf db migrate-to-postgres` into a second database of the project's
# PostgreSQL, a pg_dump as the docs take it; then `docker-compose down -v`, checked to leave nothing behind
# (also when a check failed or the script was interrupted).
#
# No registry here: the images of the compose file are stood in for through
# its own variables: WHARF_IMAGE (the image test/image/smoke.sh builds,
# built here when missing), CADDY_IMAGE (wharf-test/caddy:local, the host's
# caddy binary) and POSTGRES_IMAGE (wharf-test/postgres:local, Debian's
# PostgreSQL: test/image/postgres/), all from test/image/local-images.sh.
#
#   bash test/image/replicas-smoke.sh
#
# Environment:
#   WHARF_SMOKE_IMAGE=wharf:ci       the Wharf image (as test/image/smoke.sh)
#   WHARF_REPLICAS_KEEP=1            leave the project up for debugging (prints how to remove it)
#
# Needs docker-compose (Debian's 1.29, or `docker compose` v2). The last line
# is "N passed, N failed"; the exit code is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. test/image/local-images.sh
repo=$PWD

IMAGE=${WHARF_SMOKE_IMAGE:-wharf:ci}
BASE_IMAGE=${WHARF_BASE_IMAGE:-wharf-base:bookworm-node20}
BUILD_IMAGE=${WHARF_BUILD_IMAGE:-wharf-base:bookworm-node20-build}
CADDY_IMAGE=wharf-test/caddy:local
POSTGRES_IMAGE=wharf-test/postgres:local
TEST_IMAGE=wharf-test/web:v1
SOCK=/var/run/docker.sock
ADMIN_EMAIL=replicas-admin@example.com
ADMIN_PASSWORD=replicas-password-123
suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
PROJECT=wharfrs$suffix
NETWORK=wharf-rs-$suffix

SMOKE_TAG=replicas
. test/image/lib.sh

work=$(mktemp -d /tmp/wharf-replicas.XXXXXX)
proj=$work/project
jar=$work/cookies.txt
instance_id=""
loop_pid=""
migrate_pid=""
up=0

if docker-compose version >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=()
fi
dc() { (cd "$proj" && "${compose[@]}" -p "$PROJECT" --profile replicas "$@"); }
cid() { dc ps -q "$1" 2>/dev/null | head -1; }

# Everything this run created: the project's containers, networks and
# volumes (compose labels them) and the instances' containers (Wharf labels
# them with the instance id; they are on the project's network, so they go
# first).
leftovers() {
  {
    docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"
    [[ -z $instance_id ]] || docker ps -aq --filter "label=wharf.instance=$instance_id"
    docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"
    docker network ls -q --filter "name=^$NETWORK\$"
    docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT"
  } 2>/dev/null | sort -u
}
teardown() {
  local t0=$SECONDS ids
  [[ -z $loop_pid ]] || { kill "$loop_pid" 2>/dev/null; wait "$loop_pid" 2>/dev/null; loop_pid=""; }
  [[ -z $migrate_pid ]] || { kill "$migrate_pid" 2>/dev/null; wait "$migrate_pid" 2>/dev/null; migrate_pid=""; }
  if [[ -n $instance_id ]]; then
    ids=$(docker ps -aq --filter "label=wharf.instance=$instance_id")
    [[ -z $ids ]] || docker rm -fv $ids >/dev/null 2>&1
  fi
  if [[ $up == 1 ]]; then
    dc down -v --remove-orphans -t 10 >"$work/down.log" 2>&1 || { log "docker-compose down failed:"; sed 's/^/    | /' "$work/down.log"; }
  fi
  # Whatever `down` could not remove (a failed `up` half-way, say).
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  [[ -z $ids ]] || docker rm -fv $ids >/dev/null 2>&1
  for n in $(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT") $(docker network ls -q --filter "name=^$NETWORK\$"); do
    docker network rm "$n" >/dev/null 2>&1
  done
  ids=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
  [[ -z $ids ]] || docker volume rm $ids >/dev/null 2>&1
  timings+=("down: $((SECONDS - t0)) s")
}

cleanup() {
  local rc=$?
  set +e
  if [[ ${WHARF_REPLICAS_KEEP:-0} == 1 && $up == 1 ]]; then
    log "WHARF_REPLICAS_KEEP=1: project $PROJECT left up in $proj (http://127.0.0.1:${plb:-?}); remove it with:"
    log "  (cd $proj && ${compose[*]} -p $PROJECT --profile replicas down -v) && docker ps -aq --filter label=wharf.managed=true"
    [[ $summarized == 1 ]] || finish
    exit "$rc"
  fi
  if [[ $summarized == 0 ]]; then # aborted outside the checks (set -e, a signal)
    [[ $rc -ne 0 ]] || rc=1
    teardown
    local left; left=$(leftovers)
    [[ -z $left ]] || log "left behind: $(echo $left)"
    fail "replicas smoke aborted before its checks finished (exit $rc; see the output above)"
    finish
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

api() { # method, path, [json body] → body on stdout, status in $work/status (through wharf-lb)
  local args=(-s -m 30 -o "$work/body" -w '%{http_code}' -b "$jar" -c "$jar" -H "Origin: http://127.0.0.1:$plb" -X "$1")
  [[ $# -ge 3 ]] && args+=(-H 'content-type: application/json' --data "$3")
  curl "${args[@]}" "http://127.0.0.1:$plb$2" >"$work/status" || echo 000 >"$work/status"
  cat "$work/body" 2>/dev/null || true
}
status() { cat "$work/status"; }
# GET on one replica itself, from inside its container (the address it
# listens on: its alias on the balancer network, HOSTNAME), with this run's
# session cookie passed on stdin (never on a command line).
on_replica() { # service, path → body
  { [[ ! -f $jar ]] || awk -F'\t' 'NF >= 7 && $6 != "" { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"; } |
    docker exec -i "$(cid "$1")" node -e '
      let c = ""; process.stdin.on("data", (d) => (c += d)).on("end", async () => {
        try {
          const r = await fetch("http://" + process.env.HOSTNAME + ":3000" + process.argv[1], { headers: { cookie: c }, signal: AbortSignal.timeout(10000) });
          process.stdout.write(await r.text());
        } catch (e) { process.stdout.write("ERR " + e.message); }
      });' "$2" 2>&1
}
health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(cid "$1")" 2>/dev/null || echo gone; }
wait_healthy() { # seconds, services...
  local deadline=$((SECONDS + $1)) s all; shift
  while ((SECONDS < deadline)); do
    all=1
    for s in "$@"; do [[ $(health_of "$s") == healthy ]] || all=0; done
    [[ $all == 1 ]] && return 0
    sleep 1
  done
  for s in "$@"; do log "$s: $(health_of "$s")"; done
  return 1
}
replica_log() { docker logs --tail 25 "$(cid "$1")" 2>&1 | sed "s/^/    $1 | /"; }

# ------------------------------------------------------------------ prepare
t_all=$SECONDS
if [[ ${#compose[@]} -eq 0 ]]; then
  fail "docker-compose is installed (apt-get install docker-compose)"; finish; exit 1
fi
log "$("${compose[@]}" version 2>/dev/null | head -1); engine API $(docker version -f '{{.Server.APIVersion}}' 2>/dev/null)"
[[ -S $SOCK ]] || { fail "Docker socket at $SOCK"; finish; exit 1; }
sock_gid=$(stat -c %g "$SOCK")

t0=$SECONDS
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  bash test/image/base.sh || { fail "base images (test/image/base.sh)"; finish; exit 1; }
fi
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE missing: docker build (as test/image/smoke.sh does)"
  DOCKER_BUILDKIT=0 docker build --network host --force-rm --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg BUILD_IMAGE="$BUILD_IMAGE" -t "$IMAGE" . >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; fail "image builds ($IMAGE)"; finish; exit 1; }
fi
check "local caddy:2 stand-in $CADDY_IMAGE" ensure_caddy_image "$CADDY_IMAGE" "$BASE_IMAGE"
check "local postgres stand-in $POSTGRES_IMAGE (Debian PostgreSQL, test/image/postgres)" ensure_postgres_image "$POSTGRES_IMAGE" "$BASE_IMAGE"
docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 || bash test/images/build.sh
timings+=("images: $((SECONDS - t0)) s")
[[ $failed -eq 0 ]] || { finish; exit 1; }

# The project folder a user has: the compose file and deploy/ of this
# checkout, and an .env written the way docs/deploying.md says.
mkdir -p "$proj"
cp "$repo/docker-compose.yml" "$proj/"
cp -r "$repo/deploy" "$proj/deploy"
plb=$(free_port)
p80=$(free_port)
p443=$(free_port)
while [[ $p80 == "$plb" || $p443 == "$plb" || $p443 == "$p80" ]]; do p80=$(free_port); p443=$(free_port); done
postgres_password=$(openssl rand -hex 24)
(
  umask 077
  cat >"$proj/.env" <<EOF
DOCKER_GID=$sock_gid
WHARF_PUBLISH=127.0.0.1:$plb
CADDY_HTTP_PUBLISH=127.0.0.1:$p80
CADDY_HTTPS_PUBLISH=127.0.0.1:$p443
WHARF_NETWORK=$NETWORK
WHARF_IMAGE=$IMAGE
CADDY_IMAGE=$CADDY_IMAGE
POSTGRES_IMAGE=$POSTGRES_IMAGE
WHARF_ADMIN_EMAIL=$ADMIN_EMAIL
WHARF_ADMIN_PASSWORD=$ADMIN_PASSWORD
LOG_LEVEL=info
POSTGRES_PASSWORD=$postgres_password
NEXTAUTH_SECRET=$(openssl rand -base64 32)
WHARF_ENCRYPTION_KEY=$(openssl rand -base64 32)
CRON_SECRET=$(openssl rand -base64 32)
EOF
)
log "project $PROJECT in $proj: wharf-lb 127.0.0.1:$plb, caddy http 127.0.0.1:$p80 https 127.0.0.1:$p443, network $NETWORK"

# ------------------------------------------------------------------- up
t0=$SECONDS
up=1
if dc up -d --no-build --scale wharf=0 >"$work/up.log" 2>&1; then
  timings+=("up: $((SECONDS - t0)) s")
  pass "docker-compose --profile replicas up -d --scale wharf=0"
else
  sed 's/^/    | /' "$work/up.log"; fail "docker-compose --profile replicas up -d --scale wharf=0"
  teardown; finish; exit 1
fi
running=$(dc ps --services --filter status=running 2>/dev/null | sort | tr '\n' ' ')
check "services running: ${running:-none}(no single wharf)" test "$running" = "caddy postgres wharf-a wharf-b wharf-lb "
check "postgres healthy (pg_isready healthcheck)" wait_healthy 60 postgres

# Each replica's own /api/health (from inside it) first; Docker's health
# status (the image's HEALTHCHECK, every 30 s) is checked before the kill.
t_start=$SECONDS
ready() { # seconds, services...
  local deadline=$((SECONDS + $1)) s all; shift
  while ((SECONDS < deadline)); do
    all=1
    for s in "$@"; do [[ $(on_replica "$s" /api/health | jget db) == ok ]] || all=0; done
    [[ $all == 1 ]] && return 0
    sleep 1
  done
  return 1
}
if ready 120 wharf-a wharf-b; then
  timings+=("replicas ready: $((SECONDS - t_start)) s")
  pass "wharf-a and wharf-b answer /api/health (db ok)"
else
  fail "wharf-a and wharf-b answer /api/health within 120 s"; replica_log wharf-a; replica_log wharf-b
fi
sleep 5 # wharf-lb's active health check (every 5 s) has seen both
health=$(curl -s -m 15 "http://127.0.0.1:$plb/api/health" || true)
check "through wharf-lb: /api/health db ok ($health)" test "$(jget db <<<"$health")" = ok
backends=$( (docker logs "$(cid wharf-a)"; docker logs "$(cid wharf-b)") 2>&1 | grep -c '"backend":"postgresql"' || true)
check "both replicas run on PostgreSQL (start-up logs: $backends)" test "$backends" = 2
admins=$( (docker logs "$(cid wharf-a)"; docker logs "$(cid wharf-b)") 2>&1 | grep -c 'first admin created' || true)
check "the first admin is created once, by one replica ($admins)" test "$admins" = 1
# The instances share the project network with the replicas: they must not
# reach the UI/API past wharf-lb (the replicas believe its X-Forwarded-For).
# Probed from a throw-away container of the Wharf image on that network only.
probe=$(docker run --rm --network "$NETWORK" "$IMAGE" node -e '
  const http = require("http");
  const get = (host) => new Promise((done) => {
    const q = http.get({ host, port: 3000, path: "/api/health", timeout: 3000 }, (s) => { s.resume(); done(String(s.statusCode)); });
    q.on("error", (e) => done(e.code || "ERR"));
    q.on("timeout", () => { q.destroy(); done("TIMEOUT"); });
  });
  Promise.all(["wharf-a", "wharf-b"].map(get)).then((r) => console.log(r.join(" ")));' 2>&1 || true)
check "the instance network cannot reach the replicas past wharf-lb (wharf-a:3000, wharf-b:3000 → $probe)" \
  bash -c '[[ $1 =~ ^[A-Z_]+\ [A-Z_]+$ ]]' _ "$probe"
# Nothing on the host but what the file publishes on loopback.
published=$(docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Ports}}' | tr ',' '\n' | grep -- '->' | grep -v '127\.0\.0\.1:' || true)
check "only loopback ports published (${published:-none other})" test -z "$published"

# ---------------------------------------------------------------- sign in
t0=$SECONDS
login() {
  rm -f "$jar"
  local csrf
  csrf=$(api GET /api/auth/csrf | jget csrfToken)
  [[ -n $csrf ]] || { log "no csrfToken (HTTP $(status))"; return 1; }
  curl -s -m 30 -o /dev/null -b "$jar" -c "$jar" -H "Origin: http://127.0.0.1:$plb" \
    --data-urlencode "csrfToken=$csrf" --data-urlencode "email=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
    --data-urlencode "callbackUrl=http://127.0.0.1:$plb/" --data-urlencode "json=true" \
    "http://127.0.0.1:$plb/api/auth/callback/credentials"
  [[ $(api GET /api/auth/session | jget user.email) == "$ADMIN_EMAIL" ]]
}
check "sign-in through wharf-lb gives a session for $ADMIN_EMAIL" login
timings+=("sign-in: $((SECONDS - t0)) s")
for r in wharf-a wharf-b; do
  got=$(on_replica "$r" /api/auth/session | jget user.email)
  check "the session works on $r itself (${got:-no session})" test "$got" = "$ADMIN_EMAIL"
done
lb_ok=0
for _ in 1 2 3 4 5 6; do
  [[ $(api GET /api/auth/session | jget user.email) == "$ADMIN_EMAIL" ]] && lb_ok=$((lb_ok + 1))
done
check "6 session reads through wharf-lb (round robin over both): $lb_ok answered signed-in" test "$lb_ok" = 6

# ------------------------------------------------------------- an instance
settings='{"proxy":{"provider":{"type":"caddy","adminUrl":"http://caddy-admin:2019","server":"wharf"},"upstream":{"mode":"network","network":"'"$NETWORK"'"}},"docker":{"network":"'"$NETWORK"'"}}'
api PUT /api/settings "$settings" >/dev/null
check "settings (Caddy at caddy-admin:2019, network $NETWORK) through wharf-lb: HTTP $(status)" test "$(status)" = 200
deploy() {
  local body st="" deadline
  body=$(api POST /api/instances '{"name":"replicas","image":"'"$TEST_IMAGE"'","port":8080}')
  instance_id=$(jget id <<<"$body")
  [[ -n $instance_id ]] || { log "POST /api/instances → HTTP $(status): $body"; return 1; }
  deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    st=$(api GET "/api/instances/$instance_id" | jget status)
    case $st in running) return 0 ;; failed | error | crashed) break ;; esac
    sleep 1
  done
  log "instance status '$st'"; return 1
}
t0=$SECONDS
if deploy; then
  timings+=("deploy: $((SECONDS - t0)) s")
  pass "POST /api/instances through wharf-lb: instance running"
else
  fail "POST /api/instances through wharf-lb: instance running within 90 s"
fi
if [[ -n $instance_id ]]; then
  for r in wharf-a wharf-b; do
    st=$(on_replica "$r" "/api/instances/$instance_id" | jget status)
    check "$r itself lists the instance as running ($st)" test "$st" = running
  done
  managed=$(docker ps --filter "label=wharf.instance=$instance_id" --filter label=wharf.managed=true --format '{{.Networks}}')
  check "the instance's container runs on the project network ($managed)" test "$managed" = "$NETWORK"
  fqdn=$(api GET "/api/instances/$instance_id" | jget fqdn)
  served() {
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
      curl -sk -m 5 --connect-to "$fqdn:443:127.0.0.1:$p443" "https://$fqdn/" 2>/dev/null | grep -q 'wharf-test v1' && return 0
      sleep 1
    done
    return 1
  }
  check "the project's Caddy serves https://$fqdn (127.0.0.1:$p443)" served
fi

# ------------------------------------------------ a replica dies (SIGKILL)
# A request loop through wharf-lb (a page and an API call, alternately) while
# wharf-a's server process is killed with SIGKILL from the host, as a crash
# or the OOM killer would (the container exits 137). Its restart policy
# (unless-stopped) starts it again; the loop runs until it is healthy again.
if wait_healthy 180 wharf-a wharf-b; then
  timings+=("replicas Docker-healthy: $((SECONDS - t_start)) s after up")
  pass "wharf-a and wharf-b healthy (Docker: the image's HEALTHCHECK)"
else
  fail "wharf-a and wharf-b healthy (Docker) within 180 s"; replica_log wharf-a; replica_log wharf-b
fi

loop() {
  local i=0 path code
  while [[ ! -e $work/stop ]]; do
    if ((i % 2)); then path=/api/instances; else path=/; fi
    code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -b "$jar" "http://127.0.0.1:$plb$path" 2>/dev/null || true)
    echo "$(date +%s.%N) $path ${code:-000}" >>"$work/loop"
    i=$((i + 1))
    sleep 0.1
  done
}
: >"$work/loop"
loop &
loop_pid=$!
sleep 2
victim=$(cid wharf-a)
pid=$(docker inspect -f '{{.State.Pid}}' "$victim")
t_kill=$SECONDS
kill -KILL "$pid"
log "SIGKILL to wharf-a's server (host pid $pid)"

# Meanwhile (it only needs PostgreSQL): `wharf db migrate-to-postgres` as
# docs/deploying.md runs it, in a one-off replica container, into a second,
# empty database of the project's PostgreSQL, from a SQLite database the same
# image creates first (a CLI command applies the migrations).
migrate() {
  dc exec -T postgres createdb --username=wharf --template=template0 wharf_copy &&
  dc run --rm --no-deps -T wharf-a sh -c '
    set -e
    DATABASE_URL=file:/tmp/copy/wharf.db WHARF_DATA_DIR=/tmp/copy wharf dns list >/dev/null
    DATABASE_URL=postgresql://wharf:$POSTGRES_PASSWORD@postgres:5432/wharf_copy wharf db migrate-to-postgres --from file:/tmp/copy/wharf.db'
}
(t0=$SECONDS; migrate >"$work/migrate.log" 2>&1; echo "$? $((SECONDS - t0))" >"$work/migrate.rc") &
migrate_pid=$!

sleep 1
restarts() { docker inspect -f '{{.RestartCount}}' "$victim" 2>/dev/null || echo 0; }
died() { [[ $(restarts) -ge 1 || $(docker inspect -f '{{.State.ExitCode}}' "$victim") == 137 ]]; }
check "wharf-a died (SIGKILL) and its restart policy started it again (restarts: $(restarts))" died
if ready 120 wharf-a; then
  timings+=("killed replica answering again: $((SECONDS - t_kill)) s")
  pass "wharf-a answers /api/health again after the kill ($(restarts) restart)"
else
  fail "wharf-a answers /api/health again within 120 s of the kill"; replica_log wharf-a
fi
sleep 6 # wharf-lb's active health check (every 5 s) has seen it up
touch "$work/stop"; wait "$loop_pid" 2>/dev/null || true; loop_pid=""
total=$(wc -l <"$work/loop")
bad=$(awk '$3 != 200' "$work/loop" | wc -l)
awk '$3 != 200 { print "    | " $0 }' "$work/loop" | head -10
slowest=$(awk 'NR > 1 { d = $1 - prev; if (d > m) m = d } { prev = $1 } END { printf "%.1f", m }' "$work/loop")
timings+=("request loop: $total requests, $bad failed, longest gap ${slowest} s")
check "during the kill and the restart: $total requests through wharf-lb (page / and /api/instances), $bad not 200 (longest gap between answers ${slowest} s)" test "$total" -gt 20 -a "$bad" = 0

# The restarted replica serves through wharf-lb again: with wharf-b stopped,
# the session and the UI are answered by wharf-a.
t0=$SECONDS
dc stop -t 10 wharf-b >/dev/null 2>&1
via_a=0
reads=()
for _ in 1 2 3 4; do
  t_read=$SECONDS
  [[ $(api GET /api/auth/session | jget user.email) == "$ADMIN_EMAIL" ]] && via_a=$((via_a + 1))
  reads+=("HTTP $(status) in $((SECONDS - t_read)) s")
done
api GET / >/dev/null
check "wharf-b stopped: wharf-lb answers from the restarted wharf-a (4 session reads signed-in: $via_a [$(IFS=,; echo "${reads[*]}")]; page / HTTP $(status))" test "$via_a" = 4 -a "$(status)" = 200
timings+=("rejoin check: $((SECONDS - t0)) s")

wait "$migrate_pid" 2>/dev/null || true
migrate_pid=""
read -r migrate_rc migrate_s <"$work/migrate.rc" || migrate_rc=1
timings+=("migrate-to-postgres: ${migrate_s:-?} s (beside the restart)")
if [[ $migrate_rc == 0 ]] && grep -q 'wharf:\*\*\*@' "$work/migrate.log" && ! grep -qF "$postgres_password" "$work/migrate.log"; then
  pass "wharf db migrate-to-postgres in a one-off replica container: $(grep -c . "$work/migrate.log") report lines, password shown as ***"
else
  sed "s/$postgres_password/***/g; s/^/    | /" "$work/migrate.log" | tail -20
  fail "wharf db migrate-to-postgres in a one-off replica container (exit $migrate_rc)"
fi
users=$(dc exec -T postgres psql --username=wharf --dbname=wharf_copy -tAc 'SELECT count(*) FROM "User"' 2>&1 || true)
check "the copy holds the SQLite database's admin (User rows: $users)" test "$users" = 1

# Backups as docs/deploying.md takes them.
dc exec -T postgres pg_dump --username=wharf --format=custom wharf >"$work/wharf.dump" 2>"$work/dump.err" || true
tables=$(dc exec -T postgres pg_restore --list <"$work/wharf.dump" 2>/dev/null | grep -c 'TABLE DATA' || true)
check "pg_dump through docker-compose exec: $(stat -c %s "$work/wharf.dump") bytes, $tables tables' data" test "$tables" -gt 10

# -------------------------------------------------------------- down
api DELETE "/api/instances/$instance_id" >/dev/null
teardown
up=0
left=$(leftovers)
check "docker-compose down -v: no container, network or volume left (${left:-none})" test -z "$left"
timings+=("total: $((SECONDS - t_all)) s")
finish
