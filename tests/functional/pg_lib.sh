# pg_lib.sh — a private PostgreSQL server for a functional test or a benchmark: its own data
# directory and unix-socket directory under DIR, no TCP (listen_addresses=''), so it never meets a
# cluster the machine already runs. Sourced after lib.sh (uses fail). As root, initdb and the
# server run as the postgres user (initdb refuses root): DIR is made traversable for it.
#   pg_init DIR        initdb (user app, trust auth, no fsync wait) in DIR/data; sets PG_CONNINFO
#   pg_start / pg_stop start or stop it (fast mode: connections are cut, as in an outage)
#   pgq SQL            one query through psql, unaligned, fields split by |
PG_BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /x/x)")"; do
  [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { PG_BIN=$d; break; }
done
[ -n "$PG_BIN" ] || fail "PostgreSQL's server programs (initdb, pg_ctl) are not installed (tools/install-deps.sh installs postgresql-15)"
command -v psql >/dev/null || fail "psql is not installed (tools/install-deps.sh installs postgresql-15, which brings it)"
PG_DIR=""; PG_PORT=""; PG_RUNNING=0
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_init() {
  PG_DIR=$1
  mkdir -p "$PG_DIR/data" "$PG_DIR/sock"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || fail "no postgres user (the postgresql-15 package makes it)"
    chmod o+x "$(dirname "$PG_DIR")"
    chown -R postgres "$PG_DIR"
  fi
  chmod 700 "$PG_DIR/data"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U app --auth=trust -N >"$PG_DIR/initdb.log" 2>&1 ||
    fail "initdb failed: $(tail -5 "$PG_DIR/initdb.log")"
  # any number names the socket file (.s.PGSQL.N) in our own directory: no TCP port is taken
  PG_PORT=$(( 20000 + RANDOM % 20000 ))
  PG_CONNINFO="host=$PG_DIR/sock port=$PG_PORT dbname=postgres user=app"
}
pg_start() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 -l "$PG_DIR/server.log" \
    -o "-c listen_addresses='' -k $PG_DIR/sock -p $PG_PORT -c fsync=off" start >/dev/null ||
    fail "PostgreSQL did not start: $(tail -5 "$PG_DIR/server.log")"
  PG_RUNNING=1
}
pg_stop() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 -m fast stop >/dev/null || fail "PostgreSQL did not stop: $(tail -5 "$PG_DIR/server.log")"
  PG_RUNNING=0
}
# cleanup, not a check: a server still running when the test ends is stopped
pg_cleanup() { if [ "$PG_RUNNING" = 1 ]; then pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || :; fi; }
pgq() { psql "$PG_CONNINFO" -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1"; }
