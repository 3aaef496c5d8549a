// CEL conformance harness: runs the in-scope tests of the official suite (npm @bufbuild/cel-spec) through
// `storygate cel lines` and compares results exactly (int, uint and double never equal each other; any error matches
// an expected error; a test without an expected result expects true). Every in-scope test that does not set
// disableCheck is also type-checked with its typeEnv declarations and must check without error; typedResult tests
// compare the deduced type, checkOnly tests are only checked.
// Usage: node run.js --bin STORYGATE --modules NODE_MODULES_DIR [--baseline FILE] [--write-baseline] [--verbose]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const SECTIONS = ['basic', 'comparisons', 'conversions', 'fields', 'fp_math', 'integer_math', 'lists', 'logic',
  'macros', 'parse', 'plumbing', 'string', 'string_ext', 'type_deductions'];

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

// Why a test is out of scope for both evaluation and checking, or null.
function scopeReason(t) {
  if (t.container) return 'container';
  if (t.unknown || t.anyUnknowns) return 'unknowns';
  if (t.typeEnv && JSON.stringify(t.typeEnv).match(/messageType|"enum"|wellKnown|abstractType/) &&
      typeEnvDecls(t.typeEnv) === null) return 'message types';
  if (mentionsObjects(t.bindings) || mentionsObjects(t.value)) return 'objectValue';
  if (/(TestAllTypes|NestedTestAllTypes|google\.protobuf\.|GlobalEnum|NestedEnum|proto[23]\.)/.test(t.expr)) return 'message types';
  if (/[A-Za-z_][\w.]*\s*\{/.test(t.expr.replace(/(["'])(?:\\.|(?!\1).)*\1/g, '""'))) return 'message literal';
  return null;
}

// Why a test is not evaluated, or null.
function skipReason(t) {
  const r = scopeReason(t);
  if (r) return r;
  if (t.checkOnly) return 'checkOnly';
  return null;
}

// Why a test is not type-checked, or null.
function checkSkipReason(t) {
  const r = scopeReason(t);
  if (r) return r;
  if (t.disableCheck) return 'disableCheck';
  if (t.typeEnv && typeEnvDecls(t.typeEnv) === null) return 'declarations the checker does not support';
  if (t.typedResult && typeText(t.typedResult.deducedType) === null) return 'deduced type not supported';
  return null;
}

const PRIMS = { BOOL: 'bool', INT64: 'int', UINT64: 'uint', DOUBLE: 'double', STRING: 'string', BYTES: 'bytes' };

// A cel.expr.Type (proto3 JSON) as the checker writes types, or null when it has no equivalent here.
function typeText(ty) {
  if (!ty || typeof ty !== 'object') return null;
  if (ty.primitive !== undefined) return PRIMS[ty.primitive] || null;
  if ('null' in ty) return 'null_type';
  if ('dyn' in ty) return 'dyn';
  if (ty.wellKnown === 'DURATION') return 'google.protobuf.Duration';
  if (ty.wellKnown === 'TIMESTAMP') return 'google.protobuf.Timestamp';
  if (ty.listType) {
    const e = typeText(ty.listType.elemType);
    return e === null ? null : `list(${e})`;
  }
  if (ty.mapType) {
    const k = typeText(ty.mapType.keyType), v = typeText(ty.mapType.valueType);
    return k === null || v === null ? null : `map(${k}, ${v})`;
  }
  if (ty.abstractType && ty.abstractType.name === 'optional_type' && (ty.abstractType.parameterTypes || []).length === 1) {
    const p = typeText(ty.abstractType.parameterTypes[0]);
    return p === null ? null : `optional_type(${p})`;
  }
  if (ty.type) {
    const p = typeText(ty.type);
    return p === null ? null : `type(${p})`;
  }
  return null;
}

// typeEnv as {name: "type"}, or null when some declaration is not a supported variable type (functions included).
function typeEnvDecls(env) {
  const out = {};
  for (const d of env || []) {
    if (!d.ident) return null;
    const ty = typeText(d.ident.type);
    if (ty === null) return null;
    out[d.name] = ty;
  }
  return out;
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
        out.push({ section: s.name, id, t: o, skip: skipReason(o), checkSkip: checkSkipReason(o) });
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

function request(x) {
  const t = x.t;
  const req = { expr: t.expr };
  if (t.bindings) {
    req.bindings = {};
    for (const [name, ev] of Object.entries(t.bindings)) req.bindings[name] = ev.value !== undefined ? ev.value : ev;
  }
  if (t.disableMacros) req.disableMacros = true;
  if (!x.checkSkip) {
    if (x.skip) req.checkOnly = true;
    else req.check = true;
    req.decls = typeEnvDecls(t.typeEnv) || {};
  }
  return JSON.stringify(req);
}

function judge(t, res) {
  const wantsError = t.evalError !== undefined || t.anyEvalErrors !== undefined;
  if (wantsError) return res.error !== undefined ? null : `expected an error, got ${JSON.stringify(res.value)}`;
  if (res.error !== undefined) return `unexpected error: ${res.error}`;
  const want = t.value !== undefined ? t.value : (t.typedResult && t.typedResult.result) || { boolValue: true };
  return eq(want, res.value) ? null : `expected ${JSON.stringify(want)}, got ${JSON.stringify(res.value)}`;
}

function judgeCheck(t, res) {
  if (res.checkError !== undefined) return `unexpected check error: ${res.checkError}`;
  if (res.type === undefined) return 'no type in the response';
  if (t.typedResult) {
    const want = typeText(t.typedResult.deducedType);
    if (want !== res.type) return `expected type ${want}, got ${res.type}`;
  }
  return null;
}

async function main() {
  const tests = collect();
  const run = tests.filter((x) => !x.skip || !x.checkSkip);
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
  if (process.env.SG_CEL_DUMP) fs.writeFileSync(process.env.SG_CEL_DUMP, run.map((x) => request(x) + '\n').join(''));
  for (const x of run) child.stdin.write(request(x) + '\n');
  child.stdin.end();
  const code = await done;
  const per = {};
  let passed = 0, failed = 0, skipped = 0, cpassed = 0, cfailed = 0, cskipped = 0;
  const reasons = {};
  for (const s of SECTIONS) per[s] = { passed: 0, failed: 0, skipped: 0, cpassed: 0, cfailed: 0, cskipped: 0 };
  for (const x of tests) {
    if (x.skip) { per[x.section].skipped++; skipped++; }
    if (x.checkSkip) {
      per[x.section].cskipped++; cskipped++;
      reasons[x.checkSkip] = (reasons[x.checkSkip] || 0) + 1;
    }
  }
  run.forEach((x, i) => {
    let res = null, bad = null;
    if (i >= lines.length) bad = `no output (storygate exited with ${code})`;
    else {
      try { res = JSON.parse(lines[i]); } catch (e) { res = null; }
      if (res === null) bad = `unparsable output: ${lines[i]}`;
    }
    if (!x.skip) {
      const why = bad !== null ? bad : judge(x.t, res);
      if (why === null) { passed++; per[x.section].passed++; }
      else {
        failed++; per[x.section].failed++;
        if (verbose) console.log(`FAIL ${x.id}: ${JSON.stringify(x.t.expr)}: ${why}`);
      }
    }
    if (!x.checkSkip) {
      const why = bad !== null ? bad : judgeCheck(x.t, res);
      if (why === null) { cpassed++; per[x.section].cpassed++; }
      else {
        cfailed++; per[x.section].cfailed++;
        if (verbose) console.log(`CHECK FAIL ${x.id}: ${JSON.stringify(x.t.expr)}: ${why}`);
      }
    }
  });
  console.log(`${''.padEnd(14)} evaluated                       type-checked`);
  for (const s of SECTIONS) {
    const p = per[s];
    console.log(`${s.padEnd(14)} ${String(p.passed).padStart(4)} passed ${String(p.failed).padStart(4)} failed ` +
      `${String(p.skipped).padStart(4)} skipped   ${String(p.cpassed).padStart(4)} passed ` +
      `${String(p.cfailed).padStart(4)} failed ${String(p.cskipped).padStart(4)} skipped`);
  }
  console.log('not type-checked: ' + Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', '));
  if (lines.length > run.length) console.log(`warning: ${lines.length - run.length} extra output lines`);
  let status = 0;
  if (baselineFile && !only) {
    if (process.argv.includes('--write-baseline')) {
      const sections = {}, checked = {};
      for (const s of SECTIONS) {
        sections[s] = per[s].passed;
        checked[s] = per[s].cpassed;
      }
      fs.writeFileSync(baselineFile, JSON.stringify({ passed, sections, checked: cpassed, checkedSections: checked },
        null, 2) + '\n');
    } else if (fs.existsSync(baselineFile)) {
      const base = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
      if (passed < base.passed) {
        console.log(`below baseline: ${passed} passed < ${base.passed} recorded in ${baselineFile}`);
        status = 1;
      }
      if (cpassed < (base.checked || 0)) {
        console.log(`below baseline: ${cpassed} type-checked < ${base.checked} recorded in ${baselineFile}`);
        status = 1;
      }
      for (const s of SECTIONS) {
        if (base.sections && per[s].passed < (base.sections[s] || 0)) {
          console.log(`section ${s} below baseline: ${per[s].passed} < ${base.sections[s]}`);
          status = 1;
        }
        if (base.checkedSections && per[s].cpassed < (base.checkedSections[s] || 0)) {
          console.log(`section ${s} below the type-checked baseline: ${per[s].cpassed} < ${base.checkedSections[s]}`);
          status = 1;
        }
      }
    }
  }
  if (failed + cfailed > 0) status = 1;
  console.log(`evaluated: ${passed} passed, ${failed} failed`);
  console.log(`type-checked: ${cpassed} passed, ${cfailed} failed`);
  console.log(`${passed + cpassed} passed, ${failed + cfailed} failed`);
  process.exit(status);
}

main().catch((e) => { console.error(e); process.exit(2); });
