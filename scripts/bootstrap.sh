#!/usr/bin/env bash
# Installs what Posko needs on a fresh Debian machine: system packages (when missing), then a
# virtual environment with the pinned Python packages. Safe to run again: it skips what is there.
#   scripts/bootstrap.sh run    runtime packages + redis-server
#   scripts/bootstrap.sh test   also the test tools, PostgreSQL and Chromium (browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
VENV=.venv

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ "$mode" = "test" ]; then
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  # browser tests drive Debian's Chromium with Playwright (no browser download)
  command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
  # certutil: the LAN browser test trusts Posko's local authority in an NSS database, as a phone does
  command -v certutil >/dev/null || missing+=(libnss3-tools)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  apt_install "${missing[@]}"
fi

wanted="requirements.lock pyproject.toml"
[ "$mode" = "test" ] && wanted="$wanted requirements-dev.lock"
stamp="$VENV/.installed-$mode"
sum=$(cat $wanted | sha256sum | cut -c1-16)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/pip" install -q -r requirements.lock
[ "$mode" = "test" ] && "$VENV/bin/pip" install -q -r requirements-dev.lock
"$VENV/bin/pip" install -q --no-deps -e .
echo "$sum" > "$stamp"
echo "bootstrap: virtual environment ready ($mode)"
