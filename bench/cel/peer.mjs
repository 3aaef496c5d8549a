// Peer benchmark: the same rules and document with npm @marcbachmann/cel-js, same method as bench.c (median of
// several runs of at least 0.5 s of the process's CPU time, garbage collection included). Prints one JSON object per
// rule. Usage: node peer.mjs DIR NODE_MODULES_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2] || '.';
const modules = process.argv[3] || join(dir, 'node_modules');
const cel = await import(pathToFileURL(join(modules, '@marcbachmann/cel-js/lib/index.js')).href);
const object = JSON.parse(readFileSync(join(dir, 'storytrigger.json'), 'utf8'));
const rules = readFileSync(join(dir, 'rules.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
const RUNS = 5;
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let sink = 0;
// CPU time of the process in ns (user + system), so that other load on the machine is not counted
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

rules.forEach((rule, i) => {
  const compileRuns = [];
  for (let r = 0; r < RUNS; r++) {
    let iters = 0;
    const t0 = cpuNs();
    let t1;
    do {
      for (let k = 0; k < 100; k++) cel.parse(rule);
      iters += 100;
      t1 = cpuNs();
    } while ((t1 - t0) < 1e8);
    compileRuns.push((t1 - t0) / iters);
  }
  const fn = cel.parse(rule);
  const ctx = { object };
  const result = fn(ctx);
  const evalRuns = [];
  for (let r = 0; r < RUNS; r++) {
    let iters = 0;
    const t0 = cpuNs();
    let t1;
    do {
      for (let k = 0; k < 1000; k++) sink += fn(ctx) ? 1 : 0;
      iters += 1000;
      t1 = cpuNs();
    } while ((t1 - t0) < 5e8);
    evalRuns.push((t1 - t0) / iters);
  }
  console.log(JSON.stringify({ rule: i + 1, result, compile_ns: Math.round(median(compileRuns)),
    eval_ns: Math.round(median(evalRuns) * 10) / 10 }));
});
if (sink < 0) console.log(sink);
