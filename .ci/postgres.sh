# Sourced by .ci/run: exports REMEDIATE_TEST_POSTGRES_URL when a PostgreSQL server can be had.
pg_up() { python - "$1" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

url="${REMEDIATE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if pg_up "$url"; then
  echo "PostgreSQL: using $url"
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$bindir" ] && [ -x "$bindir/initdb" ]; then
    pgdata=$(mktemp -d)
    chown -R "$(id -un)" "$pgdata" 2>/dev/null || true
    run_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$pgdata"; su postgres -c "$*"; else sh -c "$*"; fi; }
    run_pg "$bindir/initdb -D $pgdata -A trust -U postgres >/dev/null"
    run_pg "$bindir/pg_ctl -D $pgdata -o '-p 55432 -k $pgdata -c listen_addresses=127.0.0.1' -l $pgdata/log -w start >/dev/null"
    run_pg "$bindir/createdb -h 127.0.0.1 -p 55432 -U postgres test"
    url="postgresql://postgres@127.0.0.1:55432/test"
    echo "PostgreSQL: started a throwaway cluster at $url"
  else
    echo "PostgreSQL: none reachable and no initdb found; PostgreSQL tests will be skipped"
    url=""
  fi
fi
export REMEDIATE_TEST_POSTGRES_URL="$url"
