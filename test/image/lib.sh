# Sourced by test/image/smoke.sh and test/image/replicas-smoke.sh: the
# PASS/FAIL bookkeeping, timings and the two small node helpers they share.
# SMOKE_TAG names the script in its log lines ([smoke], [replicas]).

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
skip() { echo "SKIP: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # description, command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
log() { echo "[$SMOKE_TAG] $*"; }
timings=()
timed() { # name, command...
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  timings+=("$name: $((SECONDS - t0)) s")
}
summarized=0
finish() {
  summarized=1
  echo "[$SMOKE_TAG] timings: ${timings[*]:-none}"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

# A JSON field of stdin by dotted path ("" when absent; objects as JSON).
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v;try{v=process.argv[1].split(".").reduce((o,k)=>o==null?undefined:o[k],JSON.parse(s))}catch{};process.stdout.write(v==null?"":typeof v==="object"?JSON.stringify(v):String(v))})' "$1"; }
# A free TCP port on loopback.
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
