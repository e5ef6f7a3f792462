#!/usr/bin/env bash
# Several real Docker engines on this one machine, for the remote-server tests
# (issue 27). Called by test/services/start.sh; idempotent.
#
#   bash test/services/multihost.sh up        build what is missing, start what is down, write multihost.json
#   bash test/services/multihost.sh down      stop and remove all of it
#   bash test/services/multihost.sh restart-sshd   kill sshd and every session it serves, start it again
#
# Layout (state under ${WHARF_SERVICES_DIR:-/tmp/wharf-services}/multihost):
#   bridge whmbr0 198.18.0.1/24 in the root namespace; namespaces h1..hN
#   (N=${WHARF_MULTIHOST_N:-3}) at 198.18.0.1<i>, no default route;
#   one dockerd per namespace: unix://$MH/h<i>/docker.sock, and h1 also on
#   mutual TLS at tcp://198.18.0.11:2376 (CA, server and client certs in $MH/tls);
#   sshd in h2 on 198.18.0.12:22 (key-only, user wharf-mh, log $MH/ssh/sshd.log) whose
#   sessions get DOCKER_HOST=h2's socket, so `docker system dial-stdio` reaches h2.
# The engines pull from the test registries at 198.18.0.1:5050 (auth) and
# :5051 (start.sh serves them there too), listed as insecure registries.
# Never touches /var/run/docker.sock, /var/lib/docker or the system dockerd.
set -euo pipefail
dir=${WHARF_SERVICES_DIR:-/tmp/wharf-services}
MH="$dir/multihost"
N=${WHARF_MULTIHOST_N:-3}
BR=whmbr0
SSH_HOST=2
TLS_HOST=1
# The SSH login: a system user in the docker group with /bin/sh as its shell,
# as the docs tell operators to set one up. Not root: root's bash here sources
# a .bashrc (pyenv) that costs ~1.4 s per session, i.e. per Docker call.
SSH_USER=wharf-mh
REGISTRIES='"198.18.0.1:5050", "198.18.0.1:5051"'

ip_of() { echo "198.18.0.1$1"; }
# Daemons start with no inherited descriptor beyond stdio: a caller's lock
# (`flock /tmp/wharf-it.lock ...` around a test that restarts sshd) must not
# stay held by a daemon for its whole life.
daemon() { # command...
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      # (the glob's own directory descriptor is listed too and is gone by now: failing to close it is fine, and must not end the subshell under set -e)
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid nohup "$@" </dev/null
  ) &
}
log() { echo "[multihost] $*" >&2; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
pinged() { curl -sf -m 2 --unix-socket "$MH/h$1/docker.sock" http://x/_ping >/dev/null 2>&1; }

# ---------------------------------------------------------------- network
remade="" # hosts whose namespace net_up (re)made: their engine and sshd must restart
has() { [[ $("${@:2}" 2>/dev/null) == *"$1"* ]]; } # text, command... (no `| grep -q`: pipefail + SIGPIPE)
net_up() {
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
  fi
  has 'inet 198.18.0.1/24' ip addr show dev "$BR" || ip addr add 198.18.0.1/24 dev "$BR"
  ip link set "$BR" up
  local i
  for i in $(seq 1 "$N"); do
    # A namespace file that no longer holds a namespace (a reboot-like state) is removed and made again.
    if [ -e "/run/netns/h$i" ] && ! ip -n "h$i" link show lo >/dev/null 2>&1; then
      ip netns del "h$i" 2>/dev/null || rm -f "/run/netns/h$i"
    fi
    if [ ! -e "/run/netns/h$i" ]; then
      ip netns add "h$i"
      remade="$remade $i"
    fi
    if ! ip -n "h$i" link show eth0 >/dev/null 2>&1; then
      ip link del "whmv$i" 2>/dev/null || true
      ip link add "whmv$i" type veth peer name eth0 netns "h$i"
    fi
    ip link set "whmv$i" master "$BR" up
    has "inet $(ip_of "$i")/24" ip -n "h$i" addr show dev eth0 || ip -n "h$i" addr add "$(ip_of "$i")/24" dev eth0
    ip -n "h$i" link set eth0 up
    ip -n "h$i" link set lo up
    # No default route on purpose: only the bridge's 198.18.0.0/24 is reachable.
  done
}

# ---------------------------------------------------------------- TLS material (kept across runs)
tls_make() {
  local t=$MH/tls san="IP:127.0.0.1" i
  [ -s "$t/cert.pem" ] && [ -s "$t/server-cert.pem" ] && [ -s "$t/other-ca.pem" ] && return 0
  mkdir -p "$t"
  for i in $(seq 1 "$N"); do san="$san,IP:$(ip_of "$i")"; done
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wharf multihost test CA" -keyout "$t/ca-key.pem" -out "$t/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$(ip_of $TLS_HOST)" -keyout "$t/server-key.pem" -out "$t/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$t/server.ext"
  openssl x509 -req -days 3650 -sha256 -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" -CAcreateserial \
    -extfile "$t/server.ext" -out "$t/server-cert.pem" >/dev/null 2>&1
  # Client files named as DOCKER_CERT_PATH expects them (ca.pem, cert.pem, key.pem).
  openssl req -newkey rsa:2048 -nodes -subj "/CN=wharf multihost client" -keyout "$t/key.pem" -out "$t/client.csr" >/dev/null 2>&1
  printf 'extendedKeyUsage=clientAuth\n' >"$t/client.ext"
  openssl x509 -req -days 3650 -sha256 -in "$t/client.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" -CAcreateserial \
    -extfile "$t/client.ext" -out "$t/cert.pem" >/dev/null 2>&1
  # A CA that signed nothing here: a client trusting only it must refuse the engine.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wharf multihost other CA" -keyout "$t/other-ca-key.pem" -out "$t/other-ca.pem" >/dev/null 2>&1
  chmod 600 "$t"/*key.pem
}

# ---------------------------------------------------------------- engines
engine_start() {
  local i=$1 d=$MH/h$1 tcp="--tls=false"
  pinged "$i" && return 0
  mkdir -p "$d"
  if alive "$d/docker.pid"; then return 0; fi # starting: engine_wait waits for it
  rm -f "$d/docker.pid" "$d/docker.sock"
  # Own key file => own engine ID (the default /etc/docker/key.json would give every engine the same one).
  printf '{ "deprecated-key-path": "%s/key.json", "insecure-registries": [%s] }\n' "$d" "$REGISTRIES" >"$d/daemon.json"
  if [ "$i" = "$TLS_HOST" ]; then
    tcp="-H tcp://$(ip_of "$i"):2376 --tlsverify --tlscacert $MH/tls/ca.pem --tlscert $MH/tls/server-cert.pem --tlskey $MH/tls/server-key.pem"
  fi
  # nsenter --net, not `ip netns exec` (that remounts /sys and dockerd fails: "Devices cgroup isn't mounted").
  # The userland proxy stays on: with --iptables=false it is what makes -p reachable at the namespace address.
  daemon nsenter --net="/run/netns/h$i" unshare --uts -- sh -c "hostname h$i && exec dockerd \
      --config-file $d/daemon.json --data-root $d/data --exec-root $d/exec --pidfile $d/docker.pid \
      -H unix://$d/docker.sock $tcp \
      --iptables=false --bip 198.19.$i.1/24 --default-address-pool base=198.19.$((i * 16)).0/20,size=24 \
      --cgroup-parent /wharfmh$i --storage-driver overlay2" >>"$d/dockerd.log" 2>&1
}

engine_wait() {
  local i=$1 tries=${2:-300}
  for _ in $(seq 1 "$tries"); do pinged "$i" && return 0; sleep 0.1; done
  log "engine h$i did not come up; log:"; tail -20 "$MH/h$i/dockerd.log" >&2; return 1
}

engine_stop() {
  local p
  p=$(cat "$MH/h$1/docker.pid" 2>/dev/null) || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}

# ---------------------------------------------------------------- sshd in h$SSH_HOST
ssh_files() {
  local s=$MH/ssh ip; ip=$(ip_of $SSH_HOST)
  id -u "$SSH_USER" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$SSH_USER"
  [[ " $(id -nG "$SSH_USER") " == *" docker "* ]] || usermod -aG docker "$SSH_USER"
  # useradd's "!" means locked to sshd without PAM; "*" is "no password" (key login only).
  [ "$(getent shadow "$SSH_USER" | cut -d: -f2)" = "*" ] || usermod -p '*' "$SSH_USER"
  mkdir -p "$s" "$MH/ssh-auth" "$MH/bin"
  chmod 700 "$s"
  [ -s "$s/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C wharf-multihost-host -f "$s/ssh_host_ed25519_key"
  [ -s "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C wharf-multihost-client -f "$s/id_ed25519"
  # sshd reads authorized_keys as the user: it lives outside the private $s.
  cp "$s/id_ed25519.pub" "$MH/ssh-auth/authorized_keys"
  chmod 755 "$MH/ssh-auth"
  chmod 644 "$MH/ssh-auth/authorized_keys"
  echo "$ip $(cut -d' ' -f1,2 "$s/ssh_host_ed25519_key.pub")" >"$s/known_hosts"
  cat >"$s/sshd_config.new" <<EOF
ListenAddress $ip:22
HostKey $s/ssh_host_ed25519_key
PidFile $s/sshd.pid
AuthorizedKeysFile $MH/ssh-auth/authorized_keys
AllowUsers $SSH_USER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
LogLevel INFO
# $MH is under /tmp (world-writable): StrictModes would refuse authorized_keys there.
StrictModes no
# Every session (the docker CLI's and Wharf's dial-stdio) reaches this namespace's engine.
SetEnv DOCKER_HOST=unix://$MH/h$SSH_HOST/docker.sock
EOF
  # A changed configuration (this script changed) restarts a running sshd.
  if cmp -s "$s/sshd_config.new" "$s/sshd_config"; then rm "$s/sshd_config.new"; else mv "$s/sshd_config.new" "$s/sshd_config"; sshd_kill; fi
  # For the docker CLI (bench, by hand): `PATH=$MH/bin:$PATH docker -H ssh://$SSH_USER@$ip info`.
  cat >"$s/config" <<EOF
Host $ip
  User $SSH_USER
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/config "$@"\n' "$s" >"$MH/bin/ssh"
  chmod +x "$MH/bin/ssh"
}

sshd_up() {
  local s=$MH/ssh ip; ip=$(ip_of $SSH_HOST)
  if alive "$s/sshd.pid" && timeout 1 bash -c "</dev/tcp/$ip/22" 2>/dev/null; then return 0; fi
  [ -s "$s/sshd.pid" ] && kill -TERM "$(cat "$s/sshd.pid")" 2>/dev/null || true
  rm -f "$s/sshd.pid"
  [ -d /run/sshd ] || { mkdir -p /run/sshd; chmod 755 /run/sshd; }
  /usr/sbin/sshd -t -f "$s/sshd_config"
  # stdio detached: else sshd holds the caller's pipe open. `ip netns exec` is fine here (no cgroups needed).
  daemon ip netns exec "h$SSH_HOST" /usr/sbin/sshd -f "$s/sshd_config" -D -E "$s/sshd.log" >/dev/null 2>&1
  for _ in $(seq 1 50); do
    alive "$s/sshd.pid" && timeout 1 bash -c "</dev/tcp/$ip/22" 2>/dev/null && return 0
    sleep 0.1
  done
  log "sshd did not come up; log:"; tail -20 "$s/sshd.log" >&2; return 1
}

# sshd -D with its sessions: the listener and every process below it (a
# session's monitor, its unprivileged child holding the socket, dial-stdio):
# they outlive the listener, and a surviving child keeps the TCP connection up.
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
sshd_kill() {
  local s=$MH/ssh p all
  p=$(cat "$s/sshd.pid" 2>/dev/null) || return 0
  all="$p $(descendants "$p")"
  kill -STOP $all 2>/dev/null || true # no new children while the list is being killed
  kill -KILL $all 2>/dev/null || true
  rm -f "$s/sshd.pid"
}

# ---------------------------------------------------------------- multihost.json
write_json() {
  local s=$MH/ssh t=$MH/tls i hosts="" fp kt sep=""
  fp=$(ssh-keygen -lf "$s/ssh_host_ed25519_key.pub" | awk '{print $2}')
  kt=$(cut -d' ' -f1 "$s/ssh_host_ed25519_key.pub")
  for i in $(seq 1 "$N"); do
    local extra=""
    [ "$i" = "$TLS_HOST" ] && extra=", \"tls\": { \"host\": \"$(ip_of "$i")\", \"port\": 2376 }"
    [ "$i" = "$SSH_HOST" ] && extra=", \"ssh\": { \"host\": \"$(ip_of "$i")\", \"port\": 22, \"hostKey\": \"$fp\" }"
    hosts="$hosts$sep    { \"name\": \"h$i\", \"address\": \"$(ip_of "$i")\", \"socket\": \"$MH/h$i/docker.sock\"$extra }"
    sep=$',\n'
  done
  cat >"$MH/multihost.json.tmp" <<EOF
{
  "bridgeAddress": "198.18.0.1",
  "registries": { "auth": "198.18.0.1:5050", "public": "198.18.0.1:5051", "username": "wharf-ci", "password": "wharf-registry-pass" },
  "hosts": [
$hosts
  ],
  "tls": {
    "host": "$(ip_of $TLS_HOST)", "port": 2376,
    "caPath": "$t/ca.pem", "certPath": "$t/cert.pem", "keyPath": "$t/key.pem", "otherCaPath": "$t/other-ca.pem"
  },
  "ssh": {
    "host": "$(ip_of $SSH_HOST)", "port": 22, "username": "$SSH_USER",
    "privateKeyPath": "$s/id_ed25519", "hostKey": "$fp", "hostKeyType": "$kt",
    "logPath": "$s/sshd.log", "pidPath": "$s/sshd.pid", "clientConfigPath": "$s/config", "binDir": "$MH/bin"
  }
}
EOF
  mv "$MH/multihost.json.tmp" "$MH/multihost.json"
}

# A Swarm (issue 28): h1 the manager, the other engines workers. Idempotent: a
# node already in the swarm is left as it is. Overlay and --publish
# mode=host work here; the routing mesh does not (no IP_VS in the kernel).
dk() { local i=$1; shift; docker -H "unix://$MH/h$i/docker.sock" "$@"; }
swarm_up() {
  local tok i
  if [ "$(dk 1 info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    dk 1 swarm init --advertise-addr "$(ip_of 1)" --listen-addr "$(ip_of 1):2377" \
      --default-addr-pool 198.19.128.0/17 --default-addr-pool-mask-length 24 >/dev/null
  fi
  tok=$(dk 1 swarm join-token -q worker)
  for i in $(seq 2 "$N"); do
    [ "$(dk "$i" info --format '{{.Swarm.LocalNodeState}}')" = active ] && continue
    dk "$i" swarm join --token "$tok" --advertise-addr "$(ip_of "$i")" --listen-addr "$(ip_of "$i"):2377" "$(ip_of 1):2377" >/dev/null
  done
}

up() {
  local t0=$SECONDS i
  mkdir -p "$MH"
  net_up
  for i in $remade; do engine_stop "$i"; [ "$i" = "$SSH_HOST" ] && sshd_kill; done
  tls_make
  for i in $(seq 1 "$N"); do engine_start "$i"; done
  ssh_files
  sshd_up
  for i in $(seq 1 "$N"); do engine_wait "$i"; done
  swarm_up
  write_json
  log "up: $N engines (h$TLS_HOST TLS at $(ip_of $TLS_HOST):2376, h$SSH_HOST SSH at $(ip_of $SSH_HOST):22) in $((SECONDS - t0)) s; $MH/multihost.json"
}

down() {
  set +e
  local i p pids d
  sshd_kill
  for i in $(seq 1 9); do engine_stop "$i"; done
  # Leftovers of these engines only (their command lines name $MH/h<i>/).
  pids=$(ps -eo pid=,comm=,args= | awk -v m="$MH/h" '($2=="containerd"||$2 ~ /^containerd-shim/||$2=="docker-proxy"||$2=="dockerd") && index($0,m) {print $1}')
  [ -n "$pids" ] && kill -KILL $pids
  grep " $MH/" /proc/mounts | awk '{print $2}' | sort -r | while read -r d; do umount -l "$d"; done
  for i in $(seq 1 9); do
    for d in /sys/fs/cgroup/*/wharfmh$i; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    [ -e "/run/netns/h$i" ] && ip netns del "h$i"
  done
  ip link show "$BR" >/dev/null 2>&1 && ip link del "$BR"
  # The registries start.sh serves on 198.18.0.1 lose their address with the bridge.
  for p in "$dir"/registry-*-bridge.pid; do [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null; rm -f "$p"; done
  rm -rf "$MH"
  return 0
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  restart-sshd) ssh_files; sshd_kill; sshd_up ;;
  # An engine dying under Wharf (tests of an unreachable server), and coming back.
  # The engine's daemon dies (SIGKILL); its containerd and containers live on, as with a crashed dockerd.
  # Waits until the process is gone (a SIGKILLed dockerd can take a while to exit): a pid file naming a live
  # process would make start-engine think it is starting and wait for it.
  kill-engine)
    p=$(cat "$MH/h$2/docker.pid" 2>/dev/null) || exit 0
    kill -KILL "$p" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { log "dockerd h$2 ($p) did not exit"; exit 1; }
    rm -f "$MH/h$2/docker.pid"; exit 0 ;;
  # A restart can wait on the kernel tearing down the dead engine's network namespaces: up to 2 minutes.
  start-engine) engine_start "$2"; engine_wait "$2" 1200 ;;
  *) echo "usage: $0 up|down|restart-sshd|kill-engine N|start-engine N" >&2; exit 2 ;;
esac
