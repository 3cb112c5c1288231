#!/usr/bin/env bash
# npm run soak: provisions what the soak needs on this machine (MariaDB with the Galera provider,
# rsync, Docker and the workspace test image, through .ci/provision, which is idempotent), then
# runs bench/soak/soak.ts with the arguments given (--only sqlite|galera).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash .ci/provision; fi
exec node --import tsx bench/soak/soak.ts "$@"
