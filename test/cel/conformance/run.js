// CEL conformance harness: runs the in-scope tests of the official suite (npm @bufbuild/cel-spec) through
// `storygate cel lines` and compares results exactly (int, uint and double never equal each other; any error matches
// an expected error; a test without an expected result expects true).
// Usage: node run.js --bin STORYGATE --modules NODE_MODULES_DIR [--baseline FILE] [--write-baseline] [--verbose]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const SECTIONS = ['basic', 'comparisons', 'conversions', 'fields', 'fp_math', 'integer_math', 'lists', 'logic',
  'macros', 'parse', 'plumbing', 'string', 'string_ext'];

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const bin = arg('--bin', process.env.SG_BIN);
const modules = arg('--modules');
const baselineFile = arg('--baseline');
const verbose = process.argv.includes('--verbose') || process.env.SG_CEL_VERBOSE === '1';
const only = arg('--only'); // substring filter on "section/suite/name"

const suite = require(path.join(modules, '@bufbuild/cel-spec/dist/cjs/testdata/conformance.js')).tests;

function mentionsObjects(v) {
  return JSON.stringify(v === undefined ? null : v).includes('objectValue');
}

// Why a test is out of scope, or null when it runs.
function skipReason(t) {
  if (t.container) return 'container';
  if (t.checkOnly) return 'checkOnly';
  if (t.unknown || t.anyUnknowns) return 'unknowns';
  if (t.typedResult) return 'typedResult';
  if (t.typeEnv && JSON.stringify(t.typeEnv).match(/messageType|"enum"|wellKnown|abstractType/)) return 'message types';
  if (mentionsObjects(t.bindings) || mentionsObjects(t.value)) return 'objectValue';
  if (/(TestAllTypes|NestedTestAllTypes|google\.protobuf\.|GlobalEnum|NestedEnum|proto[23]\.)/.test(t.expr)) return 'message types';
  if (/[A-Za-z_][\w.]*\s*\{/.test(t.expr.replace(/(["'])(?:\\.|(?!\1).)*\1/g, '""'))) return 'message literal';
  return null;
}

function collect() {
  const out = [];
  for (const s of suite.suites) {
    if (!SECTIONS.includes(s.name)) continue;
    for (const ss of s.suites || []) {
      for (const t of ss.tests || []) {
        const o = t.original;
        const id = `${s.name}/${ss.name}/${o.name}`;
        if (only && !id.includes(only)) continue;
        out.push({ section: s.name, id, t: o, skip: skipReason(o) });
      }
    }
  }
  return out;
}

function b64(s) {
  return Buffer.from(s || '', 'base64').toString('hex');
}

function num(v) {
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    return Number(v);
  }
  return v;
}

// Exact comparison of two cel.expr.Value JSON objects.
function eq(a, b) {
  if (a == null || b == null) return a == b;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== 1 || kb.length !== 1 || ka[0] !== kb[0]) return false;
  const k = ka[0], x = a[k], y = b[k];
  switch (k) {
    case 'nullValue': return true;
    case 'boolValue': return x === y;
    case 'int64Value':
    case 'uint64Value': return BigInt(x) === BigInt(y);
    case 'doubleValue': {
      const p = num(x), q = num(y);
      if (Number.isNaN(p) || Number.isNaN(q)) return Number.isNaN(p) && Number.isNaN(q);
      return p === q;
    }
    case 'stringValue': return x === y;
    case 'bytesValue': return b64(x) === b64(y);
    case 'typeValue': return x === y;
    case 'listValue': {
      const xs = (x && x.values) || [], ys = (y && y.values) || [];
      return xs.length === ys.length && xs.every((v, i) => eq(v, ys[i]));
    }
    case 'mapValue': {
      const xs = (x && x.entries) || [], ys = (y && y.entries) || [];
      if (xs.length !== ys.length) return false;
      return xs.every((e) => ys.some((f) => eq(e.key, f.key) && eq(e.value, f.value)));
    }
    default: return JSON.stringify(x) === JSON.stringify(y);
  }
}

function request(t) {
  const req = { expr: t.expr };
  if (t.bindings) {
    req.bindings = {};
    for (const [name, ev] of Object.entries(t.bindings)) req.bindings[name] = ev.value !== undefined ? ev.value : ev;
  }
  if (t.disableMacros) req.disableMacros = true;
  return JSON.stringify(req);
}

function judge(t, res) {
  const wantsError = t.evalError !== undefined || t.anyEvalErrors !== undefined;
  if (wantsError) return res.error !== undefined ? null : `expected an error, got ${JSON.stringify(res.value)}`;
  if (res.error !== undefined) return `unexpected error: ${res.error}`;
  const want = t.value !== undefined ? t.value : { boolValue: true };
  return eq(want, res.value) ? null : `expected ${JSON.stringify(want)}, got ${JSON.stringify(res.value)}`;
}

async function main() {
  const tests = collect();
  const run = tests.filter((x) => !x.skip);
  const child = spawn(bin, ['cel', 'lines'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const done = new Promise((resolve) => child.on('close', resolve));
  child.stdin.on('error', () => {}); // a crash shows up as missing output lines
  if (process.env.SG_CEL_DUMP) fs.writeFileSync(process.env.SG_CEL_DUMP, run.map((x) => request(x.t) + '\n').join(''));
  for (const x of run) child.stdin.write(request(x.t) + '\n');
  child.stdin.end();
  const code = await done;
  const per = {};
  let passed = 0, failed = 0, skipped = 0;
  for (const s of SECTIONS) per[s] = { passed: 0, failed: 0, skipped: 0 };
  for (const x of tests) if (x.skip) { per[x.section].skipped++; skipped++; }
  run.forEach((x, i) => {
    let why;
    if (i >= lines.length) why = `no output (storygate exited with ${code})`;
    else {
      let res;
      try { res = JSON.parse(lines[i]); } catch (e) { res = null; }
      why = res === null ? `unparsable output: ${lines[i]}` : judge(x.t, res);
    }
    if (why === null) { passed++; per[x.section].passed++; }
    else {
      failed++; per[x.section].failed++;
      if (verbose) console.log(`FAIL ${x.id}: ${JSON.stringify(x.t.expr)}: ${why}`);
    }
  });
  for (const s of SECTIONS) {
    const p = per[s];
    console.log(`${s.padEnd(14)} ${String(p.passed).padStart(4)} passed ${String(p.failed).padStart(4)} failed ${String(p.skipped).padStart(4)} skipped`);
  }
  if (lines.length > run.length) console.log(`warning: ${lines.length - run.length} extra output lines`);
  let status = 0;
  if (baselineFile && !only) {
    if (process.argv.includes('--write-baseline')) {
      const sections = {};
      for (const s of SECTIONS) sections[s] = per[s].passed;
      fs.writeFileSync(baselineFile, JSON.stringify({ passed, sections }, null, 2) + '\n');
    } else if (fs.existsSync(baselineFile)) {
      const base = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
      if (passed < base.passed) {
        console.log(`below baseline: ${passed} passed < ${base.passed} recorded in ${baselineFile}`);
        status = 1;
      }
      for (const s of SECTIONS) {
        if (base.sections && per[s].passed < (base.sections[s] || 0)) {
          console.log(`section ${s} below baseline: ${per[s].passed} < ${base.sections[s]}`);
          status = 1;
        }
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(status);
}

main().catch((e) => { console.error(e); process.exit(2); });
