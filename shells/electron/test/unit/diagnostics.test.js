'use strict';
// Help > Export Diagnostics…: the command is the launcher's, with `serve` swapped for
// `diagnostics PATH`; the real run against the stage is in the integration tests.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { DiagnosticsError, diagnosticsCommand, exportDiagnostics } = require('../../src/main/diagnostics');

const PLAN = { executable: '/stage/python/bin/python3', serveArgs: ['-I', '-m', 'app.desktop', 'serve'], cwd: '/stage' };

test('the serve argv becomes the diagnostics argv, same interpreter and folder', () => {
  assert.deepEqual(diagnosticsCommand(PLAN, '/tmp/out.zip'), {
    executable: '/stage/python/bin/python3',
    args: ['-I', '-m', 'app.desktop', 'diagnostics', '/tmp/out.zip'],
    cwd: '/stage',
  });
});

test('a plan whose serve argv is not the launcher contract is refused by name', () => {
  assert.throws(() => diagnosticsCommand({ ...PLAN, serveArgs: ['-m', 'other'] }, '/tmp/x.zip'), DiagnosticsError);
});

test('the written path comes from the launcher line; its stderr is the error', async () => {
  const ok = (_file, _args, _options, callback) => callback(null, '{"event": "diagnostics", "path": "/tmp/a.zip"}\n', '');
  assert.equal(await exportDiagnostics(PLAN, {}, '/tmp/a.zip', ok), '/tmp/a.zip');
  const failing = (_file, _args, _options, callback) => callback(new Error('exit 1'), '', 'diagnostics: no app data\n');
  await assert.rejects(exportDiagnostics(PLAN, {}, '/tmp/a.zip', failing), /no app data/);
});
