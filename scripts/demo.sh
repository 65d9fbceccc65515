#!/usr/bin/env bash
# Percale's main job on one machine: start a local etcd datastore, load the
# two-region example policy set and show it with calicoctl.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec node_modules/.bin/node packages/cli/src/percale.ts demo "$@"
