#!/bin/sh
# Transparent interception for one pod, as istio-init does: run once in the pod's network
# namespace with NET_ADMIN, before the app and its sidecar start.
#   inbound : TCP arriving for any port except the sidecar's own -> the sidecar's 15006
#   outbound: TCP the app sends anywhere but loopback -> the sidecar's 15001
# The sidecar's own traffic (uid 1337, Istio's istio-proxy) is left alone, or it would loop.
set -eu
PROXY_UID="${SKIFF_PROXY_UID:-1337}"
INBOUND_PORT="${SKIFF_INBOUND_PORT:-15006}"
OUTBOUND_PORT="${SKIFF_OUTBOUND_PORT:-15001}"
# The sidecar's ports that peers and the control plane dial directly.
EXCLUDE_INBOUND="${SKIFF_EXCLUDE_INBOUND_PORTS:-15000,15001,15006,15090}"

iptables -t nat -N SKIFF_INBOUND
iptables -t nat -A SKIFF_INBOUND -p tcp -m multiport --dports "$EXCLUDE_INBOUND" -j RETURN
iptables -t nat -A SKIFF_INBOUND -p tcp -j REDIRECT --to-ports "$INBOUND_PORT"
iptables -t nat -A PREROUTING -p tcp -j SKIFF_INBOUND

iptables -t nat -N SKIFF_OUTPUT
iptables -t nat -A SKIFF_OUTPUT -m owner --uid-owner "$PROXY_UID" -j RETURN
iptables -t nat -A SKIFF_OUTPUT -d 127.0.0.0/8 -j RETURN
iptables -t nat -A SKIFF_OUTPUT -p tcp -j REDIRECT --to-ports "$OUTBOUND_PORT"
iptables -t nat -A OUTPUT -p tcp -j SKIFF_OUTPUT

echo "skiff-init: inbound TCP -> :$INBOUND_PORT (except $EXCLUDE_INBOUND), outbound TCP -> :$OUTBOUND_PORT (except uid $PROXY_UID and loopback)"
iptables -t nat -S
