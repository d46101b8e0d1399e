#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it.
#
#   1. SQLite (a file under var/): the fast tests (in parallel with pytest-xdist on 4+ cores), then the browser and
#      process-spawning ("slow") tests serially.
#   2. PostgreSQL, when reachable: the suite again without the browser tests (they ran on SQLite), plus the
#      PostgreSQL-only tests (two workers racing for jobs).
#
# Without CI: no Chromium -> the browser tests skip; PostgreSQL down -> the second pass is skipped with a note.
# With CI=true: both are mandatory. Chromium is installed with apt-get when missing, PostgreSQL's local cluster is
# started when down, and REGULARS_REQUIRE_BROWSER=1 turns a missing browser into a failure.
#
# Arguments are passed to every pytest run:  scripts/test.sh regulars/platform -x
# Environment: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/regulars; pytest-django creates
# and drops test_<name>), TEST_JOBS (xdist processes for the fast tests; default auto, see below; 1 = serial),
# REGULARS_CHROMIUM (default /usr/bin/chromium), VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/regulars}
CHROMIUM=${REGULARS_CHROMIUM:-/usr/bin/chromium}
# pytest-xdist pays for itself only with spare cores: on a 2-core machine -n 2 was slower than one process up to
# ~250 database tests (each xdist process builds its own test database) and ~20% faster at 600. So: serial below
# 4 cores, else half the cores (at most 4). Browser and process-spawning tests always run serially.
JOBS=${TEST_JOBS:-auto}
if [[ $JOBS == auto ]]; then
  cores=$(nproc 2>/dev/null || echo 1)
  JOBS=$((cores >= 4 ? (cores / 2 > 4 ? 4 : cores / 2) : 1))
fi
PG_SHOWN=$(sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$PG_URL")  # never print a password

CI_FLAG=${CI:-}
in_ci() { [[ "${CI_FLAG,,}" == "true" || "$CI_FLAG" == "1" ]]; }
say() { printf '\n=== %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

[[ -x "$PY" ]] || die "$PY not found: run 'make test' (it creates $VENV), or set VENV"
mkdir -p test-artifacts var/static

pg_reachable() {
  "$PY" - "$PG_URL" <<'PYTHON' >/dev/null 2>&1
import sys
from urllib.parse import urlsplit

import psycopg

# Connect to the maintenance database: the test database itself is created by pytest-django.
url = urlsplit(sys.argv[1])._replace(path="/postgres").geturl()
psycopg.connect(url, connect_timeout=3).close()
PYTHON
}

start_local_postgres() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$version" ]] || { echo "no PostgreSQL cluster under /etc/postgresql" >&2; return 1; }
  echo "starting PostgreSQL $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 30); do
    pg_reachable && return 0
    sleep 1
  done
  return 1
}

install_chromium() {
  local sudo=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || return 1
    sudo="sudo -n"
  fi
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# ---- what is available decides what runs -------------------------------------------------------------------
if [[ -x "$CHROMIUM" ]]; then
  browser_note="Chromium at $CHROMIUM"
elif in_ci; then
  say "CI: no Chromium at $CHROMIUM, installing it with apt-get"
  install_chromium || true
  [[ -x "$CHROMIUM" ]] || die "CI needs Chromium at $CHROMIUM for the browser tests and could not install it"
  browser_note="Chromium at $CHROMIUM (installed)"
else
  browser_note="no Chromium at $CHROMIUM: the browser tests will be skipped (apt-get install chromium)"
fi
if in_ci; then
  export REGULARS_REQUIRE_BROWSER=1
fi

if pg_reachable; then
  postgres=yes
elif in_ci; then
  say "CI: PostgreSQL is not reachable at $PG_SHOWN, starting the local cluster"
  start_local_postgres || die "CI needs PostgreSQL at $PG_SHOWN and it is still not reachable after 30 s"
  postgres=yes
else
  postgres=no
fi

# ---- the passes ---------------------------------------------------------------------------------------------
failures=0
summary=()

# run_pass LABEL COMMAND... : runs one pytest invocation, records its outcome and time, never stops the script.
run_pass() {
  local label=$1 started=$SECONDS status=0
  shift
  say "$label"
  printf "+"; printf " %q" "$@"; echo
  "$@" || status=$?
  local took=$((SECONDS - started))
  if [[ $status == 0 ]]; then
    summary+=("ok      ${took}s  $label")
  elif [[ $status == 5 && $user_selection == yes ]]; then
    summary+=("empty   ${took}s  $label (nothing selected by the given arguments)")
  else
    summary+=("FAILED  ${took}s  $label (pytest exit code $status)")
    failures=$((failures + 1))
  fi
}

user_selection=no
[[ $# -gt 0 ]] && user_selection=yes
pytest=("$PY" -m pytest)
parallel=()
[[ "$JOBS" -gt 1 ]] && parallel=(-n "$JOBS")
sqlite=(env -u DATABASE_URL)
postgresql=(env "DATABASE_URL=$PG_URL")

echo "Browser: $browser_note"
if [[ $postgres == yes ]]; then
  echo "PostgreSQL: reachable, second pass on $PG_SHOWN"
else
  echo "PostgreSQL: not reachable at $PG_SHOWN, that pass will be skipped"
fi

if [[ ${#parallel[@]} -gt 0 ]]; then
  run_pass "SQLite: unit and integration tests (${JOBS} processes)" \
    "${sqlite[@]}" "${pytest[@]}" "${parallel[@]}" -m "not browser and not slow" "$@"
  run_pass "SQLite: browser and process-spawning tests (serial)" \
    "${sqlite[@]}" "${pytest[@]}" -m "browser or slow" "$@"
else
  run_pass "SQLite: all tests (serial)" "${sqlite[@]}" "${pytest[@]}" "$@"
fi

if [[ $postgres == yes ]]; then
  if [[ ${#parallel[@]} -gt 0 ]]; then
    run_pass "PostgreSQL: unit and integration tests (${JOBS} processes)" \
      "${postgresql[@]}" "${pytest[@]}" "${parallel[@]}" -m "not browser and not slow" "$@"
    run_pass "PostgreSQL: process-spawning tests (serial)" \
      "${postgresql[@]}" "${pytest[@]}" -m "slow and not browser" "$@"
  else
    run_pass "PostgreSQL: all tests but the browser ones (serial)" \
      "${postgresql[@]}" "${pytest[@]}" -m "not browser" "$@"
  fi
else
  summary+=("skipped     PostgreSQL pass: not reachable at $PG_SHOWN (start it, or set TEST_POSTGRES_URL)")
fi

say "Summary"
printf '  %s\n' "${summary[@]}"
if [[ $failures -gt 0 ]]; then
  echo "$failures pass(es) failed"
  exit 1
fi
echo "all passes succeeded"
