#!/usr/bin/env bash
# The mesh path's ceiling on this machine, one wrk run side by side against the bench's upstream:
# direct, one raw forwarder, and two raw forwarders with mutual TLS between them (the least two
# sidecars can do). Needs wrk and openssl. Usage: bash apps/bench/ceiling/run-mtls.sh [seconds]
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd); s=${1:-8}
b=${CEILING_PORT:-31900}   # four ports from here on loopback
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=ceiling 2>/dev/null
(cd "$root" && exec node --import tsx apps/bench/src/upstream.ts $b) & pids+=($!)
node "$here/mtls-forwarder.mjs" $((b+1)) $b plain plain "$tmp" & pids+=($!)
node "$here/mtls-forwarder.mjs" $((b+3)) $b mtls plain "$tmp" & pids+=($!)
node "$here/mtls-forwarder.mjs" $((b+2)) $((b+3)) plain mtls "$tmp" & pids+=($!)
sleep 2
declare -A rps
for name in direct:$b raw-1-hop:$((b+1)) raw-2-hops-mtls:$((b+2)); do
  port=${name##*:}; wrk -t1 -c32 -d2s "http://127.0.0.1:$port/small" >/dev/null 2>&1
  rps[${name%%:*}]=$(wrk -t1 -c32 -d"${s}s" "http://127.0.0.1:$port/small" | awk '/Requests\/sec/ {print $2}')
done
printf '%-16s %12s %10s\n' case req/s "x direct"
for n in direct raw-1-hop raw-2-hops-mtls; do
  printf '%-16s %12.0f %10.2f\n' "$n" "${rps[$n]}" "$(echo "${rps[$n]} / ${rps[direct]}" | bc -l)"
done
