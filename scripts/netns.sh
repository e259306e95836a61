#!/usr/bin/env bash
# Runs a command inside a private network namespace with only loopback and an isolated
# veth pair (198.18.0.1/24), so that WebRTC gathers a host candidate while no packet can
# leave this machine. Every test that opens a peer connection runs through this wrapper.
# Usage: scripts/netns.sh <command> [args...]
set -euo pipefail

if [ "${PD_NETNS:-}" = "1" ]; then
  exec "$@"
fi

# Root can unshare the network namespace directly; anyone else maps themselves to root in a
# new user namespace first (-r).
unshare_flags=(-n)
if [ "$(id -u)" != "0" ]; then unshare_flags=(-r -n); fi

export PD_NETNS=1
export PATH="$PWD/node_modules/.bin:$PATH"
exec unshare "${unshare_flags[@]}" bash -euo pipefail -c '
  ip link set lo up
  ip link add v0 type veth peer name v1
  ip addr add 198.18.0.1/24 dev v0
  ip link set v1 up
  ip link set v0 up
  ip route add default dev v0
  exec "$@"
' netns "$@"
