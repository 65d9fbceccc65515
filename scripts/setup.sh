#!/usr/bin/env bash
# Installs everything Percale and its tests need on Debian 12, idempotently:
# Debian packages for the real components, then the npm dependencies, which
# include Percale's own Node.js 24 runtime (node_modules/.bin/node).
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package providing it
declare -A wanted=(
  [etcd]=etcd-server
  [etcdctl]=etcd-client
  [openssl]=openssl
  [curl]=curl
  [ip]=iproute2
  [nft]=nftables
  [ping]=iputils-ping
  [nc]=netcat-openbsd
  [conntrack]=conntrack
  [bird]=bird2
  [neutron-server]=neutron-server
  [rabbitmq-server]=rabbitmq-server
  [openstack]=python3-openstackclient
)
missing=()
for cmd in "${!wanted[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}"); done
# npm installs the project's Node 24; any Node/npm able to run npm will do for that step.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
