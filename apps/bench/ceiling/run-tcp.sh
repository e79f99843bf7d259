#!/usr/bin/env bash
# The TCP mesh path's ceiling on this machine: a 1 GiB transfer to the protocol bench's TCP sink,
# directly and through two minimal Node relays (tcp-relay.mjs) with mutual TLS between
# them (the least two sidecars can do for TCP), alternating three times. Needs openssl.
# Usage: bash apps/bench/ceiling/run-tcp.sh [MiB]
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd); mib=${1:-1024}
b=${CEILING_PORT:-31950}   # six ports from here on loopback
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=ceiling 2>/dev/null
cp "$tmp/cert.pem" "$tmp/ca.pem"   # self-signed: its own trust anchor
(cd "$root" && exec node --import tsx apps/bench/src/protocol-peers.ts tcp-sink $b $((b+3))) & pids+=($!)
node "$here/tcp-relay.mjs" $((b+2)) $((b+4)) $b mtls plain "$tmp" & pids+=($!)
node "$here/tcp-relay.mjs" $((b+1)) $((b+5)) $((b+2)) plain mtls "$tmp" & pids+=($!)
sleep 3
node "$here/tcp-transfer.mjs" $b 64 >/dev/null; node "$here/tcp-transfer.mjs" $((b+1)) 64 >/dev/null
printf '%-5s %14s %22s %8s\n' run 'direct MiB/s' 'two relays, mTLS MiB/s' ratio
for run in 1 2 3; do
  d=$(node "$here/tcp-transfer.mjs" $b "$mib"); r=$(node "$here/tcp-transfer.mjs" $((b+1)) "$mib")
  printf '%-5s %14s %22s %8.2f\n' $run "$d" "$r" "$(echo "$r / $d" | bc -l)"
done
