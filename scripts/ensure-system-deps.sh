#!/usr/bin/env bash
# Makes sure a Chromium that Playwright can drive is present, plus xmllint for the benchmark.
# Order: an existing system Chromium, then Playwright's own download, then Debian's package.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "ensure-system-deps: apt-get not available; install '$*' by hand" >&2
        return 1
    fi
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

have_chromium() {
    [ -n "${ACCROCHAGE_CHROMIUM:-}" ] && [ -x "${ACCROCHAGE_CHROMIUM}" ] && return 0
    command -v chromium >/dev/null 2>&1 && return 0
    ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-*/chrome-linux*/chrome \
        >/dev/null 2>&1 && return 0
    return 1
}

if ! have_chromium; then
    echo "ensure-system-deps: no Chromium found; trying Playwright's download" >&2
    if ! timeout 300 .venv/bin/playwright install chromium >/dev/null 2>&1; then
        echo "ensure-system-deps: Playwright's download unavailable; installing Debian's chromium" >&2
        apt_install chromium
    fi
fi

if ! command -v xmllint >/dev/null 2>&1; then
    apt_install libxml2-utils || echo "ensure-system-deps: xmllint missing (only the benchmark needs it)" >&2
fi

# PostgreSQL server binaries: the store's contract tests start a throwaway cluster
# (initdb + pg_ctl) so that `make test` runs both backends. A machine with only the psql
# client lacks them: install Debian's postgresql package (its binaries stay in
# /usr/lib/postgresql/<major>/bin; the tests look there).
have_pg_server() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/pg_ctl \
        >/dev/null 2>&1 && return 0
    return 1
}

if ! have_pg_server; then
    echo "ensure-system-deps: initdb/pg_ctl missing; installing Debian's postgresql" >&2
    apt_install postgresql
    # Debian starts a cluster on install; the tests start their own and need no service.
    as_root service postgresql stop >/dev/null 2>&1 || true
fi
