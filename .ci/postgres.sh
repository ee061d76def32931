# Sourced by .ci/run: exports REMEDIATE_TEST_POSTGRES_URL when a PostgreSQL server can be had.
#
# 1. the server REMEDIATE_TEST_POSTGRES_URL names (default postgresql://postgres@127.0.0.1:5432/test), when it
#    answers;
# 2. otherwise a throwaway cluster (initdb + pg_ctl in a temporary directory, on a free port), stopped and
#    removed when .ci/run exits (it calls ci_postgres_cleanup);
# 3. otherwise none: the PostgreSQL tests skip and say why.

pg_up() { python - "$1" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

ci_postgres_cleanup() { :; }

url="${REMEDIATE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if pg_up "$url"; then
  echo "PostgreSQL: using $url"
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    bindir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  fi
  if [ -x "$bindir/initdb" ]; then
    pgdata=$(mktemp -d)
    pgport=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # initdb refuses to run as root: use the postgres account when there is one, else nobody.
    if [ "$(id -u)" = 0 ]; then
      pguser=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
      chown -R "$pguser" "$pgdata"
      run_pg() { su -s /bin/sh "$pguser" -c "$*"; }
    else
      run_pg() { sh -c "$*"; }
    fi
    run_pg "'$bindir/initdb' -D '$pgdata/data' -A trust -U postgres -E UTF8 >'$pgdata/initdb.log' 2>&1"
    run_pg "'$bindir/pg_ctl' -D '$pgdata/data' -l '$pgdata/server.log' -w \
      -o \"-p $pgport -k '$pgdata' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off\" start >/dev/null"
    run_pg "'$bindir/createdb' -h 127.0.0.1 -p $pgport -U postgres test"
    url="postgresql://postgres@127.0.0.1:$pgport/test"
    echo "PostgreSQL: started a throwaway cluster at $url"
    ci_postgres_cleanup() {
      run_pg "'$bindir/pg_ctl' -D '$pgdata/data' -m immediate stop >/dev/null 2>&1" || true
      rm -rf "$pgdata"
    }
  else
    echo "PostgreSQL: none reachable and no initdb found; the PostgreSQL tests will be skipped"
    url=""
  fi
fi
export REMEDIATE_TEST_POSTGRES_URL="$url"
