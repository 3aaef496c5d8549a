#!/usr/bin/env bash
# CEL benchmark: builds bench/cel/bench.c against the build's libraries, runs it and the Node peer
# (@marcbachmann/cel-js, pinned in bench/cel/package-lock.json) over the same rules and StoryTrigger, and prints
# ns/eval side by side with the speed-up. Not a test: numbers depend on the machine and its load.
# Usage: scripts/bench-cel.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
src="$root/bench/cel"

cmake --build "$build" --target sg_cel sg_json sg_base -j"$(nproc)" >/dev/null
cc="${CC:-cc}"
"$cc" -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" "$src/bench.c" \
  "$build/libsg_cel.a" "$build/libsg_json.a" "$build/libsg_base.a" \
  $(pkg-config --libs libpcre2-8 yajl libcrypto) -lm -o "$build/bench_cel"

peer="$build/cel-bench"
if [ ! -f "$peer/node_modules/@marcbachmann/cel-js/package.json" ] || ! cmp -s "$src/package-lock.json" "$peer/package-lock.json"; then
  mkdir -p "$peer"
  cp "$src/package.json" "$src/package-lock.json" "$peer/"
  (cd "$peer" && npm ci --no-audit --no-fund --silent >/dev/null)
fi

echo "storygate CEL: $(wc -c <"$src/storytrigger.json") byte StoryTrigger bound as object; median of 5 runs >= 0.5 s of CPU time"
ours="$("$build/bench_cel" "$src")"
theirs="$(node "$src/peer.mjs" "$src" "$peer/node_modules")"
OURS="$ours" THEIRS="$theirs" RULES="$src/rules.txt" node -e '
const parse = (s) => s.trim().split("\n").map((l) => JSON.parse(l));
const ours = parse(process.env.OURS), theirs = parse(process.env.THEIRS);
const rules = require("fs").readFileSync(process.env.RULES, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
console.log("rule  compile_ns  eval_ns  cel-js_ns  speed-up  target");
let miss = 0;
ours.forEach((o, i) => {
  const t = theirs[i], ratio = t.eval_ns / o.eval_ns;
  const ok = ratio >= 5 && (o.rule !== 1 || o.eval_ns < 25);
  if (!ok) miss++;
  console.log(`${String(o.rule).padStart(4)}  ${String(o.compile_ns).padStart(10)}  ${o.eval_ns.toFixed(1).padStart(7)}` +
    `  ${t.eval_ns.toFixed(1).padStart(9)}  ${ratio.toFixed(1).padStart(7)}x  ${ok ? "ok" : "missed"}`);
  if (o.result !== t.result) console.log(`      results differ: ${o.result} vs ${t.result}: ${rules[i]}`);
});
console.log(miss ? `${miss} rule(s) below target (>= 5x the peer; rule 1 < 25 ns)` : "all targets met");
'
