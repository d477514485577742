#!/usr/bin/env bash
# The GPU check, run from its pack (npm run gpu:pack copies this file into gpu-pack/) on a bare,
# offline x86-64 Linux machine: no Node, npm or Vulkan loader needed there. Unpacks Node,
# dawn.node and the golden cases into a temporary folder, points the Vulkan loader at the NVIDIA
# driver's ICD when there is one, and runs check.mjs, which writes gpu-check.json and gpu-check.md
# to $OUT (the device tool's return folder), else to ./gpu-check-out.
#
#   bash gpu-pack/gpu-check.sh [check options: --small --cases micro --budget-s 480 ...]
#
# Environment: VITLENS_ALLOW_CPU_ADAPTER=1 runs on a CPU Vulkan (lavapipe) instead of stopping;
# VITLENS_GPU_WORK sets the unpack folder (default: a new one under /tmp); VK_DRIVER_FILES /
# VK_ICD_FILENAMES, when set, are kept.
set -euo pipefail

pack="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf '[gpu-check] %s\n' "$*"; }
die() { printf '[gpu-check] FAIL: %s\n' "$*"; exit 3; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || die "this pack is for Linux x86-64; this machine is $(uname -s) $(uname -m)"
[ -f "$pack/check.mjs" ] && [ -f "$pack/dawn.node.gz" ] || die "$pack is not a complete GPU pack (no check.mjs or dawn.node.gz): run npm run gpu:pack"

work="${VITLENS_GPU_WORK:-$(mktemp -d /tmp/vitlens-gpu.XXXXXX)}"
mkdir -p "$work"
t0=$(date +%s)

# Node: xz when the pack was made with it (smaller), gzip for --fast packs. A machine without
# the xz tool still has Python's lzma module in every python3.
if [ -f "$pack/node.xz" ]; then
  if command -v xz >/dev/null 2>&1; then xz -dc "$pack/node.xz" >"$work/node"
  elif command -v python3 >/dev/null 2>&1; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$pack/node.xz" "$work/node"
  else die "node.xz needs xz or python3 to unpack, and this machine has neither"; fi
elif [ -f "$pack/node.gz" ]; then gzip -dc "$pack/node.gz" >"$work/node"
else die "no node.xz or node.gz in $pack"; fi
chmod +x "$work/node"
gzip -dc "$pack/dawn.node.gz" >"$work/dawn.node"
tar -xzf "$pack/golden.tar.gz" -C "$work"
cp "$pack/check.mjs" "$work/check.mjs"
say "unpacked into $work in $(( $(date +%s) - t0 )) s"

# Vulkan: the pack's loader first; the NVIDIA driver's own libraries where the machine mounts them.
libs="$pack/lib"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs="$libs:$d"; done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then
  export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
  # The loader's own errors (a driver library it cannot open) explain an adapter that is missing.
  export VK_LOADER_DEBUG="${VK_LOADER_DEBUG:-error}"
fi
say "Vulkan ICD: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-default search of the loader, no $icd}}"
[ -n "${VK_DRIVER_FILES:-}" ] && [ -f "$VK_DRIVER_FILES" ] && say "ICD file: $(tr -s ' \n' ' ' <"$VK_DRIVER_FILES")"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work/xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

"$work/node" --version >/dev/null 2>&1 || die "the pack's Node does not start here: $("$work/node" --version 2>&1 | head -n1)"
say "node $("$work/node" --version), $(getconf GNU_LIBC_VERSION 2>/dev/null || echo '?'), $(nproc) CPUs"
command -v nvidia-smi >/dev/null 2>&1 && say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)"

export VITLENS_DAWN_NODE="$work/dawn.node"
set +e
"$work/node" "$work/check.mjs" --golden "$work/golden/reference,$work/golden/variants" "$@"
rc=$?
set -e
[ -n "${VITLENS_GPU_WORK:-}" ] || rm -rf "$work"
exit $rc
