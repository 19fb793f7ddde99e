'use strict';
// --install-backend-update in a first launch's argv and in the one a later launch hands over.

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');

const { InstallArgumentError, layerFromArgv } = require('../../src/main/install-argument');

const cwd = path.resolve('/home/admin/Downloads');

test('no flag: nothing to install', () => {
  assert.equal(layerFromArgv(['/opt/Flying Stable/flying-stable'], cwd), null);
  assert.equal(layerFromArgv(['/usr/bin/electron', '.', '--no-sandbox'], cwd), null);
  assert.equal(layerFromArgv(undefined, cwd), null); // 'second-instance' from an old caller
});

test('the file after the flag, or after "=", made absolute against the launch folder', () => {
  const layer = path.join(cwd, 'fix.layer');
  assert.equal(layerFromArgv(['app', '--install-backend-update', 'fix.layer'], cwd), layer);
  assert.equal(layerFromArgv(['app', '--install-backend-update=fix.layer'], cwd), layer);
  assert.equal(layerFromArgv(['electron', '.', '--install-backend-update=./fix.layer'], cwd), layer);
  const absolute = path.resolve('/media/usb/flying-stable-backend-0.2.0-from-0.1.0.layer');
  assert.equal(layerFromArgv(['app', `--install-backend-update=${absolute}`], cwd), absolute);
  assert.equal(layerFromArgv(['app', '--install-backend-update', 'with space.layer'], cwd), path.join(cwd, 'with space.layer'));
});

test('a second launch whose switches Chromium moved ahead still names its file with "="', () => {
  const handed = ['app', '--allow-file-access-from-files', '--install-backend-update=fix.layer', '--original-process-start-time=1'];
  assert.equal(layerFromArgv(handed, cwd), path.join(cwd, 'fix.layer'));
});

test('the flag without a file is an error that says how to give one', () => {
  for (const argv of [['app', '--install-backend-update'], ['app', '--install-backend-update='], ['app', '--install-backend-update', '--no-sandbox']]) {
    assert.throws(() => layerFromArgv(argv, cwd), (error) => error instanceof InstallArgumentError && /--install-backend-update=FILE/.test(error.message), argv.join(' '));
  }
});
