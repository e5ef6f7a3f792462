#!/usr/bin/env bash
# Starts the real services the integration tests use, idempotently:
#   dockerd   at /var/run/docker.sock (no iptables, no default bridge)
#   Caddy     admin http://127.0.0.1:2019, HTTP server "wharf" on 127.0.0.1:8480
#   PowerDNS  API http://127.0.0.1:8081 (key wharf-test-key), DNS 127.0.0.1:5300
#   registries docker-registry (distribution 2.8) on http://127.0.0.1:5050 with
#             htpasswd auth (user wharf-ci, password wharf-registry-pass) and a
#             public one on http://127.0.0.1:5051
#             (also on 198.18.0.1:5050/5051 for the engines below)
#   engines   dockerd in namespaces h1..h3 (198.18.0.11..13): h1 TLS :2376, h2 SSH :22
#             (test/services/multihost.sh; state and multihost.json in $dir/multihost)
#   Pebble    ACME https://127.0.0.1:14000/dir, management 127.0.0.1:15000
#   Caddy-TLS admin http://127.0.0.1:2029, HTTP 127.0.0.1:5002, HTTPS 127.0.0.1:5003
#   PostgreSQL Debian's cluster "main" on 127.0.0.1:5432, role wharf (password
#             wharf, superuser: tests create a database per test file)
# Logs and state go under ${WHARF_SERVICES_DIR:-/tmp/wharf-services}.
set -euo pipefail
# The daemons below inherit this script's descriptors: a caller's lock
# (`flock /tmp/wharf-it.lock bash test/services/start.sh`, or a test run under
# it that calls this script) would stay held by dockerd & co. for their whole
# life. Close everything beyond stdio (255 is bash's handle on this script).
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if [ "$fd" -gt 2 ] && [ "$fd" != 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
dir=${WHARF_SERVICES_DIR:-/tmp/wharf-services}
mkdir -p "$dir"

wait_for() { # name, command
  for _ in $(seq 1 60); do eval "$2" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "service $1 did not come up; log:" >&2; tail -20 "$dir/$1.log" >&2 || true; return 1
}

if ! docker info >/dev/null 2>&1; then
  setsid nohup dockerd --iptables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
  wait_for dockerd "docker info"
  # A fresh engine on a reused machine still has the containers and networks
  # of earlier test runs on disk (containers of the local test images carry
  # wharf.test=true); left alone, test networks exhaust dockerd's address
  # pools. Only here, never when the engine is already up: tests call this
  # script mid-run and their own containers must survive it.
  docker ps -aq --filter label=wharf.test=true | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter name=wharf-it | xargs -r docker network rm >/dev/null 2>&1 || true
fi

# Caddy (2.6 and later) listens with SO_REUSEPORT and reloads its whole config on
# every admin API change: the new listener binds beside the old one, and the
# kernel resets the connections still queued on the old one when it closes
# (measured here: 286 resets in 62,000 requests across 332 reloads). Linux 5.14+
# migrates them to the new listener instead with tcp_migrate_req (1 reset in
# 45,000 across 312). docs/deploying.md tells operators the same.
if [[ -w /proc/sys/net/ipv4/tcp_migrate_req ]]; then
  sysctl -qw net.ipv4.tcp_migrate_req=1 || true
fi

if ! curl -fsS http://127.0.0.1:2019/config/ >/dev/null 2>&1; then
  cat >"$dir/caddy.json" <<'JSON'
{"admin":{"listen":"127.0.0.1:2019"},"apps":{"http":{"servers":{"wharf":{"listen":["127.0.0.1:8480"],"automatic_https":{"disable":true},"routes":[]}}}}}
JSON
  setsid nohup caddy run --config "$dir/caddy.json" >"$dir/caddy.log" 2>&1 &
  wait_for caddy "curl -fsS http://127.0.0.1:2019/config/"
fi

if ! curl -fsS -H 'X-API-Key: wharf-test-key' http://127.0.0.1:8081/api/v1/servers/localhost >/dev/null 2>&1; then
  mkdir -p "$dir/pdns"
  rm -f "$dir/pdns/pdns.sqlite3"
  sqlite3 "$dir/pdns/pdns.sqlite3" </usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
  cat >"$dir/pdns/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$dir/pdns/pdns.sqlite3
local-address=127.0.0.1
local-port=5300
api=yes
api-key=wharf-test-key
webserver=yes
webserver-address=127.0.0.1
webserver-port=8081
webserver-allow-from=127.0.0.0/8
guardian=no
daemon=no
socket-dir=$dir/pdns
CONF
  setsid nohup pdns_server --config-dir="$dir/pdns" >"$dir/pdns.log" 2>&1 &
  wait_for pdns "curl -fsS -H 'X-API-Key: wharf-test-key' http://127.0.0.1:8081/api/v1/servers/localhost"
fi
# Image registries (Debian's docker-registry, not its init script: that one
# listens on :5000 on every interface). The engine treats 127.0.0.0/8 as an
# insecure registry, so plain HTTP needs no daemon configuration.
start_registry() { # name, port, auth (1|0)
  local name=$1 port=$2 auth=$3 rdir="$dir/$1"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = "000" ] || return 0
  mkdir -p "$rdir/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage: {filesystem: {rootdirectory: $rdir/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ "$auth" = 1 ]; then
      htpasswd -Bbn wharf-ci wharf-registry-pass >"$rdir/htpasswd"
      echo "auth: {htpasswd: {realm: wharf-test-registry, path: $rdir/htpasswd}}"
    fi
  } >"$rdir/config.yml"
  setsid nohup docker-registry serve "$rdir/config.yml" >"$dir/$name.log" 2>&1 &
  wait_for "$name" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/v2/)\" != 000 ]"
}
start_registry registry-auth 5050 1
start_registry registry-public 5051 0

# Several Docker engines in network namespaces h1..h3 (issue 27): h1 over
# mutual TLS, h2 over SSH; see test/services/multihost.sh and the
# multihost.json it writes under $dir/multihost.
bash "$(dirname "$0")/multihost.sh" up
# Those engines pull from the same registries at the bridge address: a second
# registry process per registry, same storage and same auth, on 198.18.0.1.
serve_registry_on_bridge() { # name, port
  local name=$1 port=$2 rdir="$dir/$1"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://198.18.0.1:$port/v2/")" = "000" ] || return 0
  sed "s/addr: 127.0.0.1:$port/addr: 198.18.0.1:$port/" "$rdir/config.yml" >"$rdir/config-bridge.yml"
  setsid nohup docker-registry serve "$rdir/config-bridge.yml" >"$dir/$name-bridge.log" 2>&1 &
  echo $! >"$dir/$name-bridge.pid"
  wait_for "$name-bridge" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://198.18.0.1:$port/v2/)\" != 000 ]"
}
serve_registry_on_bridge registry-auth 5050
serve_registry_on_bridge registry-public 5051


# ACME (issue 13): Pebble on 127.0.0.1:14000 (management 15000), answering
# challenges on 5002 (http-01) / 5003 (tls-alpn-01) and resolving names
# through the test PowerDNS; and a second, TLS-enabled Caddy (admin
# 127.0.0.1:2029, HTTP 127.0.0.1:5002, HTTPS 127.0.0.1:5003) with its own
# storage, so certificates never land in /root/.config/caddy. Pebble's issuing
# root changes at every Pebble start: clients fetch it from /roots/0.
tls="$dir/tls"
mkdir -p "$tls"
if [ ! -s "$tls/listener-ca.pem" ] || [ ! -s "$tls/listener.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wharf test listener CA" \
    -keyout "$tls/listener-ca.key" -out "$tls/listener-ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/listener.key" -out "$tls/listener.csr" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$tls/listener.ext"
  openssl x509 -req -in "$tls/listener.csr" -CA "$tls/listener-ca.pem" -CAkey "$tls/listener-ca.key" -CAcreateserial \
    -days 3650 -extfile "$tls/listener.ext" -out "$tls/listener.pem" >/dev/null 2>&1
fi
if ! curl -fsS --cacert "$tls/listener-ca.pem" https://127.0.0.1:14000/dir >/dev/null 2>&1; then
  cat >"$tls/pebble.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:14000","managementListenAddress":"127.0.0.1:15000","certificate":"$tls/listener.pem","privateKey":"$tls/listener.key","httpPort":5002,"tlsPort":5003,"ocspResponderURL":"","externalAccountBindingRequired":false}}
JSON
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 setsid nohup pebble -config "$tls/pebble.json" -dnsserver 127.0.0.1:5300 >"$dir/pebble.log" 2>&1 &
  wait_for pebble "curl -fsS --cacert '$tls/listener-ca.pem' https://127.0.0.1:14000/dir"
  # A new Pebble knows no accounts: a TLS Caddy still running with the old
  # one's account in its storage gets accountDoesNotExist on every order.
  curl -fsS -X POST http://127.0.0.1:2029/stop >/dev/null 2>&1 && sleep 1 || true
fi
if ! curl -fsS http://127.0.0.1:2029/config/ >/dev/null 2>&1; then
  # No TLS policy and no routes: Wharf adds its own policies (issuer from its
  # settings) and routes. The server listens on both ports; Caddy serves TLS
  # on every listener except http_port. Redirects are Wharf's, per consumer.
  cat >"$dir/caddy-tls.json" <<JSON
{"admin":{"listen":"127.0.0.1:2029","config":{"persist":false}},
 "storage":{"module":"file_system","root":"$tls/caddy-storage"},
 "apps":{"pki":{"certificate_authorities":{"local":{"install_trust":false}}},
  "tls":{"automation":{"policies":[]}},
  "http":{"http_port":5002,"https_port":5003,
   "servers":{"wharf":{"listen":["127.0.0.1:5002","127.0.0.1:5003"],"automatic_https":{"disable_redirects":true},"routes":[]}}}}}
JSON
  rm -rf "$tls/caddy-storage" # accounts and certificates of an earlier Pebble are worthless now
  setsid nohup caddy run --config "$dir/caddy-tls.json" >"$dir/caddy-tls.log" 2>&1 &
  wait_for caddy-tls "curl -fsS http://127.0.0.1:2029/config/"
fi
# PostgreSQL (issue 26): Debian's own cluster, started with pg_ctlcluster
# (not systemd), and a login role the tests use to create scratch databases.
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
if [ -n "$pg_version" ]; then
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$pg_version main"; then
    pg_createcluster "$pg_version" main >"$dir/postgresql-create.log" 2>&1
  fi
  if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
    pg_ctlcluster "$pg_version" main start
  fi
  wait_for postgresql "su postgres -c 'psql -qAtc \"SELECT 1\"'"
  su postgres -c "psql -qAt" >/dev/null <<'SQL'
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wharf') THEN CREATE ROLE wharf LOGIN SUPERUSER PASSWORD 'wharf'; END IF;
END$$;
SQL
else
  echo "PostgreSQL is not installed (apt-get install postgresql): the *-pg test projects cannot run" >&2
fi

echo "services up: dockerd, caddy (admin 127.0.0.1:2019, http 127.0.0.1:8480), powerdns (api 127.0.0.1:8081, dns 127.0.0.1:5300), registries (auth 127.0.0.1:5050, public 127.0.0.1:5051, both also on 198.18.0.1), engines h1..h3 (198.18.0.11..13; TLS h1:2376, SSH h2:22), pebble (acme 127.0.0.1:14000, management 15000), caddy-tls (admin 127.0.0.1:2029, http 5002, https 5003), postgresql (127.0.0.1:5432)"
