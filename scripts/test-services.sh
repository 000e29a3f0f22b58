#!/usr/bin/env bash
# Makes sure the Redis and PostgreSQL the tests use are answering, starting them when they are not.
# Writes the PostgreSQL URL the tests should use to var/test-postgres-url (absent: PostgreSQL tests
# skip and say why).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=.venv/bin/python
REDIS_URL="${POSKO_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
PG_URL="${POSKO_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"

redis_up() { $PY - "$REDIS_URL" <<'PY' 2>/dev/null
import sys, redis
sys.exit(0 if redis.Redis.from_url(sys.argv[1], socket_timeout=1).ping() else 1)
PY
}
pg_up() { $PY - "$1" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=2).close()
PY
}

if ! redis_up; then
  echo "test-services: starting redis-server on 127.0.0.1:6379"
  mkdir -p var/redis-test
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$PWD/var/redis-test" --logfile "$PWD/var/redis-test/redis.log"
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "test-services: redis-server did not start" >&2; exit 1; }
fi

rm -f var/test-postgres-url
if ! pg_up "$PG_URL"; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    cluster=$(ls /etc/postgresql 2>/dev/null | head -n1)
    if [ -n "$cluster" ]; then
      echo "test-services: starting PostgreSQL $cluster"
      pg_ctlcluster --skip-systemctl-redirect "$cluster" main start 2>/dev/null || pg_ctlcluster "$cluster" main start || true
      for _ in $(seq 50); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.2; done
    fi
  fi
  if ! pg_up "$PG_URL" && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    # A fresh Debian cluster asks for a password over TCP: give the test role one.
    echo "test-services: preparing the postgres role for password login"
    runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'posko-test'" >/dev/null 2>&1 || true
    runuser -u postgres -- psql -q -c "CREATE DATABASE test" >/dev/null 2>&1 || true
    PG_URL="postgresql://postgres:posko-test@127.0.0.1:5432/test"
  fi
fi
if pg_up "$PG_URL"; then
  echo "$PG_URL" > var/test-postgres-url
  echo "test-services: PostgreSQL ready"
else
  echo "test-services: no PostgreSQL server could be started; PostgreSQL tests will be skipped" >&2
fi
