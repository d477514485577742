#!/usr/bin/env bash
# CI smoke test of the GPU pack (issue 14), on a machine without a GPU: builds the pack (--fast:
# gzip instead of xz, no deit_tiny), copies it into an empty folder outside the repository and
# runs its gpu-check.sh there as the GPU machine would, with a clean environment (no
# node_modules, no npm, no PATH beyond /usr/bin:/bin; no network where `unshare -n` works),
# on lavapipe with small shapes. Passes when the check exits 0 and its JSON says pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d /tmp/vitlens-gpu-smoke.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
say() { printf '[gpu-smoke] %s\n' "$*"; }

t0=$(date +%s)
(cd "$root" && npx tsx scripts/gpu-pack.ts --fast --out "$tmp/built")
mkdir -p "$tmp/machine" "$tmp/out" "$tmp/home"
cp -r "$tmp/built" "$tmp/machine/gpu-pack"
t1=$(date +%s)
say "pack built in $((t1 - t0)) s; running it from $tmp/machine"

isolate=()
if command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
# Mesa's shader cache is the one exception to the clean environment: lavapipe compiles each
# pipeline cold in seconds (minutes for the whole check), and after npm test the cache holds them.
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
(cd "$tmp/machine" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" XDG_CACHE_HOME="$cache" OUT="$tmp/out" VITLENS_ALLOW_CPU_ADAPTER=1 \
  "${isolate[@]}" bash gpu-pack/gpu-check.sh --small --cases micro --families simd --budget-s 120)
# Without the switch, a CPU adapter must end the run at once, with one line and exit status 3.
set +e
refusal="$(cd "$tmp/machine" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" XDG_CACHE_HOME="$cache" OUT="$tmp/out-refused" \
  "${isolate[@]}" bash gpu-pack/gpu-check.sh --small 2>&1)"
rc=$?
set -e
if [ "$rc" != 3 ] || ! grep -q 'FAIL: only a CPU adapter was found' <<<"$refusal"; then
  say "FAIL: on a CPU adapter without VITLENS_ALLOW_CPU_ADAPTER=1 the check exited $rc; output:"
  printf '%s\n' "$refusal" | tail -n 5
  exit 1
fi
say "a CPU adapter alone is refused: $(grep 'FAIL: only' <<<"$refusal")"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const groups = new Set(r.parity.map((p) => p.group));
  const missing = ["forward", "backward", "maps", "registry"].filter((g) => !groups.has(g));
  const fwd = r.speed && r.speed.models.find((m) => m.what === "forward" && m.ms !== null);
  if (!r.pass || missing.length || !fwd) { console.error("[gpu-smoke] FAIL: pass=" + r.pass + ", missing parity groups: " + missing + ", forward timed: " + !!fwd); process.exit(1); }
' "$tmp/out/gpu-check.json"
say "PASS in $(( $(date +%s) - t0 )) s (check $(( $(date +%s) - t1 )) s); network isolated: ${isolate[*]:-no}"
