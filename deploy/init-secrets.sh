#!/bin/sh
# First-run helper for docker-compose.yml: creates the master key (deploy/secrets/master.key) and a
# .env with random database passwords, unless they exist. Never prints a secret.
set -eu
cd "$(dirname "$0")/.."

umask 077
mkdir -p deploy/secrets

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

if [ -s deploy/secrets/master.key ]; then
  echo "deploy/secrets/master.key exists: kept (a new key would make every stored secret unreadable)"
else
  random_hex 32 > deploy/secrets/master.key
  chmod 600 deploy/secrets/master.key
  echo "created deploy/secrets/master.key (32 random bytes as 64 hex characters, mode 0600)"
fi

# Compose mounts a file secret with the file's own owner; the service runs as uid 1000 (`node`).
owner=$(stat -c %u deploy/secrets/master.key)
if [ "$owner" != 1000 ]; then
  if [ "$(id -u)" = 0 ]; then
    chown 1000:1000 deploy/secrets/master.key
    echo "gave deploy/secrets/master.key to uid 1000, the service's user in the container"
  else
    echo "warning: deploy/secrets/master.key belongs to uid $owner; the service runs as uid 1000:" >&2
    echo "  run: sudo chown 1000:1000 deploy/secrets/master.key" >&2
  fi
fi

if [ -e .env ]; then
  echo ".env exists: kept"
else
  cp .env.example .env
  sed -i "s/^MYSQL_PASSWORD=.*/MYSQL_PASSWORD=$(random_hex 24)/; s/^MYSQL_ROOT_PASSWORD=.*/MYSQL_ROOT_PASSWORD=$(random_hex 24)/; s/^WORKSPACE_PASSWORD=.*/WORKSPACE_PASSWORD=$(random_hex 12)/" .env
  chmod 600 .env
  echo "created .env from .env.example with random database and workspace passwords (mode 0600)"
fi
echo "back up deploy/secrets/master.key somewhere other than the database backups"
