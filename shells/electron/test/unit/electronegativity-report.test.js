'use strict';
// The gate around electronegativity: parsing its CSV and applying the allowlist. The real
// scan runs in `npm run electronegativity` (nox -s tests-electron).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { judge, parseCsv, parseReport, validateAllowlist } = require('../../scripts/electronegativity');

const REPORT = [
  'issue, severity, confidence, filename, location, sample, description, url',
  'CSP_GLOBAL_CHECK,"MEDIUM","CERTAIN","N/A","0:0",N/A,"No CSP has been detected",https://x',
  'OPEN_EXTERNAL_JS_CHECK,"MEDIUM","TENTATIVE","src/main/index.js","137:29","openExternal: (url) => shell.openExternal(url).catch((e) => {',
  '  log.warn(""x, y"")',
  '}),","Review the use of openExternal",https://x',
  'CONTEXT_ISOLATION_JS_CHECK,"HIGH","FIRM","src\\main\\windows.js","10:2","new BrowserWindow({})","Review contextIsolation",https://x',
  'AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK,"INFORMATIONAL","CERTAIN","N/A","0:0",N/A,"fixes",https://x',
  '',
].join('\n');

test('CSV with quoted commas, doubled quotes and multi-line samples parses into findings', () => {
  const findings = parseReport(REPORT);
  assert.equal(findings.length, 4);
  assert.deepEqual(findings[1], {
    check: 'OPEN_EXTERNAL_JS_CHECK',
    severity: 'MEDIUM',
    confidence: 'TENTATIVE',
    file: 'src/main/index.js',
    location: '137:29',
    description: 'Review the use of openExternal',
  });
  assert.equal(findings[2].file, 'src/main/windows.js', 'Windows separators are normalised');
  assert.equal(parseCsv('a,"b ""c"", d"\n')[0][1], 'b "c", d');
});

test('MEDIUM and above block unless allowlisted for that check in that file', () => {
  const findings = parseReport(REPORT);
  const verdict = judge(findings, [
    { check: 'OPEN_EXTERNAL_JS_CHECK', file: 'src/main/index.js', justification: 'guarded', provenBy: 't' },
    { check: 'OPEN_EXTERNAL_JS_CHECK', file: 'src/main/other.js', justification: 'stale', provenBy: 't' },
  ]);
  assert.deepEqual(verdict.blocking.map((f) => f.check), ['CSP_GLOBAL_CHECK', 'CONTEXT_ISOLATION_JS_CHECK']);
  assert.deepEqual(verdict.allowed.map((f) => f.check), ['OPEN_EXTERNAL_JS_CHECK']);
  assert.deepEqual(verdict.informational.map((f) => f.check), ['AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK']);
  assert.deepEqual(verdict.unusedEntries.map((e) => e.file), ['src/main/other.js']);
});

test('allowlist entries must carry a justification and the test that proves it', () => {
  assert.throws(() => validateAllowlist([{ check: 'X', file: 'f', justification: '' , provenBy: 't' }]), /justification/);
  assert.throws(() => validateAllowlist([{ check: 'X', file: 'f', justification: 'j' }]), /provenBy/);
  assert.throws(() => validateAllowlist({}), /array/);
  const committed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'electronegativity-allowlist.json'), 'utf8'));
  assert.doesNotThrow(() => validateAllowlist(committed));
  for (const entry of committed) {
    for (const proof of entry.provenBy.split(',').map((p) => p.trim())) {
      assert.ok(fs.existsSync(path.join(__dirname, '..', '..', proof)), `${entry.check}: ${proof} does not exist`);
    }
  }
});

test('an empty report is an error, not a pass', () => {
  assert.throws(() => parseReport(''), /empty report/);
});
