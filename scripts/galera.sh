#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for the soak (npm run soak). Each node has its
# own data directory, socket and ports under DIR (default /tmp/xares-galera):
#   node N: SQL 127.0.0.1:331N, group communication 457N, IST 458N, SST 459N.
#
#   scripts/galera.sh start [DIR]     bootstrap node 1, join nodes 2 and 3, wait for size 3
#   scripts/galera.sh stop [DIR]      stop every node (fast shutdown)
#   scripts/galera.sh kill N [DIR]    SIGKILL node N (a crash, for fault injection)
#   scripts/galera.sh restart N [DIR] start node N again; it rejoins by IST or SST
#   scripts/galera.sh status [DIR]    wsrep_cluster_size as each node sees it
#
# Needs Debian's mariadb-server (it ships the galera-4 provider) and rsync; run as root. The
# cluster's user `xares_soak`/`xares_soak` may create databases.
set -euo pipefail

cmd=${1:-}
case $cmd in kill | restart) node=${2:?node number}; DIR=${3:-/tmp/xares-galera} ;; *) DIR=${2:-/tmp/xares-galera} ;; esac
PROVIDER=/usr/lib/galera/libgalera_smm.so
log() { printf '[galera] %s\n' "$*"; }

conf() {
  local n=$1
  # A rejoining node takes a full copy (rsync SST) from node 3 if it needs one: an rsync donor
  # blocks writes while it copies, and nodes 1 and 2 serve the soak's replicas. (The trailing
  # comma lets it fall back to any node.)
  local donor=node3,
  [ "$n" = 3 ] && donor=node1,
  cat <<EOF
[mysqld]
datadir=$DIR/node$n/data
socket=$DIR/node$n/mysqld.sock
pid-file=$DIR/node$n/mysqld.pid
log-error=$DIR/node$n/error.log
port=331$n
bind-address=127.0.0.1
user=mysql
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_flush_log_at_trx_commit=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=xares_soak
wsrep_cluster_address=gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573
wsrep_node_address=127.0.0.1:457$n
wsrep_node_name=node$n
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:457$n;ist.recv_addr=127.0.0.1:458$n;gcache.size=32M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:459$n
wsrep_sst_donor=$donor
EOF
}

ping_node() { mariadb-admin --socket="$DIR/node$1/mysqld.sock" -uroot ping --silent >/dev/null 2>&1; }

wait_ping() {
  for _ in $(seq 1 90); do ping_node "$1" && return 0; sleep 1; done
  log "node $1 did not answer"; tail -30 "$DIR/node$1/error.log" >&2; return 1
}

start_node() {
  local n=$1; shift
  mkdir -p "$DIR/node$n"
  conf "$n" >"$DIR/node$n/my.cnf"
  if [ ! -d "$DIR/node$n/data/mysql" ]; then
    mkdir -p "$DIR/node$n/data"
    chown -R mysql:mysql "$DIR/node$n"
    mariadb-install-db --defaults-file="$DIR/node$n/my.cnf" --user=mysql >"$DIR/node$n/install.log" 2>&1
  fi
  chown -R mysql:mysql "$DIR/node$n"
  nohup /usr/sbin/mariadbd --defaults-file="$DIR/node$n/my.cnf" "$@" >>"$DIR/node$n/stdout.log" 2>&1 &
}

cluster_size() {
  mariadb --socket="$DIR/node$1/mysqld.sock" -uroot -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | awk '{print $2}'
}

wait_size() {
  for _ in $(seq 1 120); do [ "$(cluster_size "$1")" = "3" ] && return 0; sleep 1; done
  log "the cluster did not reach three nodes"; return 1
}

stop_node() {
  local pidfile="$DIR/node$1/mysqld.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

case $cmd in
  start)
    [ -f "$PROVIDER" ] || { log "no Galera provider at $PROVIDER (apt-get install mariadb-server galera-4 rsync)"; exit 1; }
    mkdir -p "$DIR"
    if ping_node 1 && [ "$(cluster_size 1)" = "3" ]; then log "already running in $DIR"; exit 0; fi
    # A fresh bootstrap every time: a cluster whose nodes all stopped needs one anyway.
    for n in 1 2 3; do stop_node $n; done
    rm -f "$DIR"/node*/data/grastate.dat
    start_node 1 --wsrep-new-cluster
    wait_ping 1
    mariadb --socket="$DIR/node1/mysqld.sock" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'xares_soak'@'127.0.0.1' IDENTIFIED BY 'xares_soak';
CREATE USER IF NOT EXISTS 'xares_soak'@'localhost' IDENTIFIED BY 'xares_soak';
GRANT ALL PRIVILEGES ON *.* TO 'xares_soak'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'xares_soak'@'localhost';
FLUSH PRIVILEGES;
SQL
    start_node 2; start_node 3
    wait_ping 2; wait_ping 3
    wait_size 1
    log "three nodes on 127.0.0.1:3311-3313 ($DIR)"
    ;;
  stop)
    for n in 3 2 1; do stop_node $n; done
    log "stopped"
    ;;
  kill)
    pidfile="$DIR/node$node/mysqld.pid"
    [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    log "node $node killed"
    ;;
  restart)
    start_node "$node"
    wait_ping "$node"
    wait_size "$node"
    log "node $node rejoined"
    ;;
  status)
    for n in 1 2 3; do printf 'node%s: %s\n' "$n" "$(cluster_size $n || echo down)"; done
    ;;
  *)
    echo "usage: scripts/galera.sh start|stop|status [DIR] | kill|restart N [DIR]" >&2
    exit 2
    ;;
esac
