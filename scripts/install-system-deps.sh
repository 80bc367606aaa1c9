#!/usr/bin/env bash
# Install the Debian/Ubuntu packages geogmina needs, only those missing.
# Called by `make deps`; safe to run again (it checks first and does nothing when all is there).
set -euo pipefail

want=(gdal-bin libgdal-dev libgeos-dev libproj-dev postgresql-client gettext fonts-dejavu-core chromium nodejs npm nginx)
# PostgreSQL + PostGIS: 15 on Debian 12; take the newest packaged major version elsewhere.
pg_pkgs() {
  for v in 15 16 17; do
    if dpkg -s "postgresql-$v-postgis-3" >/dev/null 2>&1; then echo "postgresql-$v postgresql-$v-postgis-3"; return; fi
  done
  for v in 15 16 17; do
    if apt-cache show "postgresql-$v-postgis-3" >/dev/null 2>&1; then echo "postgresql-$v postgresql-$v-postgis-3"; return; fi
  done
  echo "postgresql-15 postgresql-15-postgis-3"
}

missing=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
for p in "${want[@]}"; do
  case "$p" in
    chromium) have_cmd chromium || missing+=(chromium) ;;
    nodejs) have_cmd node || missing+=(nodejs) ;;
    npm) have_cmd npm || missing+=(npm) ;;
    *) dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p") ;;
  esac
done
have_pg=0
for v in 15 16 17; do dpkg -s "postgresql-$v-postgis-3" >/dev/null 2>&1 && have_pg=1; done
py=$(command -v python3.11 || true)
if [ -z "$py" ]; then missing+=(python3.11 python3.11-venv python3.11-dev); fi

if [ ${#missing[@]} -eq 0 ] && [ $have_pg -eq 1 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-system-deps: installing ${missing[*]} (and PostgreSQL + PostGIS if missing)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ $have_pg -eq 0 ]; then
  # shellcheck disable=SC2207
  missing+=($(pg_pkgs))
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system cluster on 5432; geogmina runs its own under var/ and leaves that alone.
echo "install-system-deps: done"
