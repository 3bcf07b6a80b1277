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
  [buildah]=buildah
  [runc]=runc
  [qemu-aarch64-static]=qemu-user-static
  [update-binfmts]=binfmt-support
  [busybox]=busybox-static
  [tmux]=tmux
)
missing=()
# runc lives in /usr/sbin, which a normal user's PATH lacks (buildah builds under OCI isolation with it).
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
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

# Real arm64 base images: busybox-static:arm64 conflicts with the amd64 package, so its .deb is
# downloaded and unpacked into a cache instead of installed.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mirror-rig"
if [ ! -x "$cache/busybox-arm64/bin/busybox" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: fetching busybox-static:arm64 into $cache" >&2
    dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq >/dev/null; }
    mkdir -p "$cache/deb" && rm -f "$cache"/deb/*.deb
    (cd "$cache/deb" && apt-get download -qq busybox-static:arm64 2>/dev/null || { apt-get update -qq >/dev/null; apt-get download -qq busybox-static:arm64 2>/dev/null; })
    dpkg-deb -x "$cache"/deb/busybox-static_*_arm64.deb "$cache/busybox-arm64"
  else
    echo "ensure-tools: missing $cache/busybox-arm64/bin/busybox; as root run: dpkg --add-architecture arm64 && apt-get update && apt-get download busybox-static:arm64, then dpkg-deb -x it there" >&2
    exit 1
  fi
fi

# arm64 RUN steps go through QEMU: the binfmt handler must be registered.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    echo "ensure-tools: qemu-aarch64 binfmt handler is not registered (update-binfmts --enable qemu-aarch64 failed); arm64 builds cannot run" >&2
    exit 1
  fi
fi

# The Debian docker-registry package starts a system service on :5000; the rig runs its own
# instances on free ports, so the service is not needed (and is harmless if running).

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-tools: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
