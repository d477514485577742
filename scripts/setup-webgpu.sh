#!/usr/bin/env bash
# Make sure Node's WebGPU (Dawn, npm "webgpu") finds an adapter on this machine.
#
# Dawn needs a Vulkan driver. Machines without a GPU get one from Mesa's lavapipe
# (a CPU implementation of Vulkan). Debian bookworm's own mesa-vulkan-drivers (22.3)
# is too old for Dawn; bookworm-backports (25.x) works. This script:
#   1. asks Dawn for an adapter; if one is found it does nothing else;
#   2. otherwise, on Debian/Ubuntu as root, installs the Vulkan loader and lavapipe
#      (from bookworm-backports on bookworm) and checks again;
#   3. otherwise says exactly what the user must do, and exits non-zero.
# Idempotent: running it again on a ready machine only prints the adapter.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/vitlens-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true

say() { printf '[setup-webgpu] %s\n' "$*" >&2; }

probe() { node "$here/probe-adapter.mjs"; }

if [ ! -d "$root/node_modules/webgpu" ]; then
  say "node_modules/webgpu is missing: run 'npm install' (or 'npm ci') first."
  exit 1
fi

if out="$(probe 2>/dev/null)"; then
  say "WebGPU adapter found: $out"
  exit 0
fi
say "no WebGPU adapter found; looking for a way to install a Vulkan driver (Mesa lavapipe)."

if [ ! -r /etc/os-release ]; then
  say "unknown operating system: install a Vulkan driver for your GPU (or Mesa's lavapipe, Mesa >= 24) and run this again."
  exit 1
fi
. /etc/os-release
if ! command -v apt-get >/dev/null 2>&1; then
  say "$PRETTY_NAME has no apt-get: install your distribution's Vulkan loader and Mesa Vulkan drivers (Mesa >= 24 for lavapipe), then run this again."
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    say "installing the driver needs root. Run as root: apt-get install -y libvulkan1 mesa-vulkan-drivers (on Debian bookworm from bookworm-backports: see this script), then run this again."
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
target=()
if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  # Add bookworm-backports with the same mirror and keyring as the machine's own Debian source.
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri="http://deb.debian.org/debian"; keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
    src="$(grep -lrs -E '^(URIs:|deb ).*debian' /etc/apt/sources.list.d/ /etc/apt/sources.list | head -n1 || true)"
    if [ -n "$src" ]; then
      u="$(grep -m1 -oE '^URIs:[[:space:]]*[^[:space:]]+' "$src" | awk '{print $2}' || true)"
      k="$(grep -m1 -oE '^Signed-By:[[:space:]]*[^[:space:]]+' "$src" | awk '{print $2}' || true)"
      [ -n "$u" ] && case "$u" in *security*) ;; *) uri="$u" ;; esac
      [ -n "$k" ] && keyring="$k"
    fi
    say "adding apt source bookworm-backports ($uri)"
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uri" "$keyring" \
      | $SUDO tee /etc/apt/sources.list.d/vitlens-bookworm-backports.sources >/dev/null
  fi
  target=(-t bookworm-backports)
fi

say "apt-get update"
$SUDO apt-get update -qq
say "apt-get install ${target[*]} mesa-vulkan-drivers libvulkan1"
$SUDO apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null

if out="$(probe)"; then
  say "installed Mesa Vulkan drivers; WebGPU adapter found: $out"
  exit 0
fi
say "installed the drivers but Dawn still finds no adapter. Check 'vulkaninfo --summary' (package vulkan-tools); Dawn needs Mesa >= 24."
exit 1
