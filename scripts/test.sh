#!/usr/bin/env bash
# Runs the whole test suite: type check, unit tests under Node, Bun and Deno, each runtime's own
# storage tests, and the end-to-end tests (real git, dulwich, pygit2, isomorphic-git, Chromium)
# against live servers. Ends with one plain line "N passed, N failed" and exits non-zero on any
# failure (or when nothing passed).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export NO_COLOR=1 FORCE_COLOR=0 DENO_DIR="$ROOT/.cache/deno" XDG_CONFIG_HOME="$ROOT/.cache/xdg" XDG_CACHE_HOME="$ROOT/.cache/xdgc" \
  WRANGLER_SEND_METRICS=false PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 GIT_TERMINAL_PROMPT=0
unset FORCE_COLOR
OUT="$ROOT/.cache/test-results"
mkdir -p "$OUT"
BIN="$ROOT/node_modules/.bin"
passed=0
failed=0
report=()

add() { # name passed failed
  passed=$((passed + $2)); failed=$((failed + $3))
  report+=("$1: $2 passed, $3 failed")
}

files() { find "$@" -name '*.test.ts' 2>/dev/null | sort; }

# 1. Type checks: the portable core and Node code, the Bun code, the Deno code (one test each).
typecheck() { # label command...
  local label=$1; shift
  if "$@" >"$OUT/$label.log" 2>&1; then add "$label" 1 0; else cat "$OUT/$label.log"; add "$label" 0 1; fi
}
typecheck tsc "$BIN/tsc" -p .
typecheck tsc-bun "$BIN/tsc" -p tsconfig.bun.json
typecheck tsc-workers "$BIN/tsc" -p adapters/cloudflare
typecheck deno-check "$BIN/deno" check $(find adapters/deno tests/deno -name '*.ts' | sort)

# 2. Node: unit, node-only and end-to-end tests. Node 20 needs an explicit file list.
run_node() { # label files...
  local label=$1; shift
  [ $# -eq 0 ] && return
  node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter=tap "$@" >"$OUT/$label.tap" 2>&1
  local p f
  p=$(grep -E '^# pass ' "$OUT/$label.tap" | tail -n1 | awk '{print $3}')
  f=$(grep -E '^# fail ' "$OUT/$label.tap" | tail -n1 | awk '{print $3}')
  c=$(grep -E '^# cancelled ' "$OUT/$label.tap" | tail -n1 | awk '{print $3}')
  if [ -z "$p" ]; then p=0; f=1; fi
  f=$((f + ${c:-0}))
  if [ "$f" != 0 ]; then grep -E -B2 -A30 '^not ok|^ *not ok' "$OUT/$label.tap" | head -n 400; fi
  add "$label" "$p" "$f"
}
run_node node-unit $(files tests/unit)
run_node node-runtime $(files tests/node)
run_node e2e $(files tests/e2e)
run_node browser $(files tests/browser)
run_node workers $(files tests/workers)

# 3. Bun: the same unit tests plus bun:sqlite.
run_bun() {
  local label=$1; shift
  [ $# -eq 0 ] && return
  "$BIN/bun" test --timeout 600000 "$@" >"$OUT/$label.log" 2>&1
  local p f
  p=$(grep -E '^ *[0-9]+ pass$' "$OUT/$label.log" | tail -n1 | awk '{print $1}')
  f=$(grep -E '^ *[0-9]+ fail$' "$OUT/$label.log" | tail -n1 | awk '{print $1}')
  if [ -z "$p" ]; then p=0; f=1; fi
  if [ "${f:-0}" != 0 ]; then grep -E -A20 '\(fail\)|error:' "$OUT/$label.log" | head -n 300; fi
  add "$label" "$p" "${f:-0}"
}
run_bun bun $(files tests/unit tests/bun) tests/workers/routing-store.test.ts

# 4. Deno: the same unit tests plus Deno KV.
run_deno() {
  local label=$1; shift
  [ $# -eq 0 ] && return
  "$BIN/deno" test -A --no-check "$@" >"$OUT/$label.log" 2>&1
  local line p f
  line=$(grep -E '^(ok|FAILED) \| ' "$OUT/$label.log" | tail -n1)
  p=$(echo "$line" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
  f=$(echo "$line" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
  if [ -z "$p" ]; then p=0; f=1; tail -n 50 "$OUT/$label.log"; fi
  if [ "${f:-0}" != 0 ]; then grep -E -A20 'FAILED|ERRORS' "$OUT/$label.log" | head -n 300; fi
  add "$label" "$p" "${f:-0}"
}
run_deno deno $(files tests/unit tests/deno) tests/workers/routing-store.test.ts

for line in "${report[@]}"; do echo "$line"; done
summary="$passed passed, $failed failed"
echo "$summary" >"$OUT/summary.txt"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
