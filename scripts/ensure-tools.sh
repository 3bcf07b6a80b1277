#!/usr/bin/env bash
# Installs what `npm test` and `npm run demo` need on a fresh Debian machine, or says exactly
# what is missing. Idempotent and quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package that provides it
declare -A need=(
  [git]=git
  [docker-registry]=docker-registry
  [skopeo]=skopeo
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "ensure-tools: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# The Debian docker-registry package starts a system service on :5000; the rig runs its own
# instances on free ports, so the service is not needed (and is harmless if running).

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-tools: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
