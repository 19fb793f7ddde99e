'use strict';
// The gate around electronegativity: its programmatic API run on a small app with known
// problems, the findings it returns, and the allowlist judgement. The scan of the real shell
// runs in `node scripts/electronegativity.js` (nox -s tests-electron).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { findingsOf, judge, runElectronegativity, validateAllowlist } = require('../../scripts/electronegativity');
const { makeTempDir } = require('../support/temp');

/** An Electron app that turns off isolation and the sandbox: electronegativity must say so. */
function riskyApp() {
  const root = makeTempDir('electronegativity-app-');
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'risky', main: 'src/main.js' }));
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(
    path.join(root, 'src', 'main.js'),
    [
      "const { app, BrowserWindow } = require('electron');",
      'app.whenReady().then(() => {',
      '  const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });',
      "  win.loadURL('https://example.invalid/');",
      '});',
      '',
    ].join('\n'),
  );
  return root;
}

test('the API run returns findings as objects, with paths relative to the scanned folder', { timeout: 120_000 }, async () => {
  const { findings } = findingsOf(await runElectronegativity(riskyApp()));
  const checks = new Set(findings.map((finding) => finding.check));
  for (const check of ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK']) {
    assert.ok(checks.has(check), `${check} not reported; got ${[...checks].join(', ')}`);
  }
  const isolation = findings.find((finding) => finding.check === 'CONTEXT_ISOLATION_JS_CHECK');
  assert.equal(isolation.file, 'src/main.js');
  assert.match(isolation.location, /^3:\d+$/);
  assert.ok(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'INFORMATIONAL'].includes(isolation.severity));
  // Against an empty allowlist, the disabled isolation blocks.
  const verdict = judge(findings, []);
  assert.ok(verdict.blocking.some((finding) => finding.check === 'CONTEXT_ISOLATION_JS_CHECK'));
});

test('a file electronegativity could not parse fails the gate: it was not checked', { timeout: 120_000 }, async () => {
  const root = riskyApp();
  fs.writeFileSync(path.join(root, 'src', 'broken.js'), 'const = ;\n');
  await assert.rejects(async () => findingsOf(await runElectronegativity(root)), /could not parse 1 file\(s\).*broken\.js/);
});

test('MEDIUM and above block unless allowlisted for that check in that file', () => {
  const finding = (check, severity, file) => ({ check, severity, confidence: 'FIRM', file, location: '1:1', description: '' });
  const findings = [
    finding('CSP_GLOBAL_CHECK', 'MEDIUM', 'N/A'),
    finding('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM', 'src/main/index.js'),
    finding('CONTEXT_ISOLATION_JS_CHECK', 'HIGH', 'src/main/windows.js'),
    finding('AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK', 'INFORMATIONAL', 'N/A'),
  ];
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
  assert.throws(() => validateAllowlist([{ check: 'X', file: 'f', justification: '', provenBy: 't' }]), /justification/);
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

test('a run that returned nothing is an error, not a pass', () => {
  assert.throws(() => findingsOf(undefined), /no result/);
  assert.throws(() => findingsOf({ issues: [] }), /no result/);
});
