'use strict';
// The update controller with a scripted updater and scripted dialog answers.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { createUpdateController } = require('../../src/main/updates');

const quiet = { info() {}, warn() {}, error() {} };

function harness({ answers = [], check, download } = {}) {
  const calls = [];
  const dialogs = [];
  const updater = {
    checkForUpdates: async () => {
      calls.push('check');
      return check ? check() : { isUpdateAvailable: true, updateInfo: { version: '0.2.0' } };
    },
    downloadUpdate: async () => {
      calls.push('download');
      if (download) await download();
    },
    quitAndInstall: () => calls.push('quitAndInstall'),
  };
  const dialog = {
    showMessageBox: async (...args) => {
      const options = args[args.length - 1];
      dialogs.push(options);
      return { response: options.type === 'question' ? answers.shift() : 0 };
    },
  };
  const controller = createUpdateController({
    isDev: false,
    appName: 'Flying Stable',
    dialog,
    getWindow: () => null,
    stopBackend: async () => calls.push('stopBackend'),
    loadUpdater: () => updater,
    log: quiet,
  });
  return { controller, calls, dialogs, updater };
}

test('dev mode only says updates are unavailable', async () => {
  const dialogs = [];
  const controller = createUpdateController({
    isDev: true,
    appName: 'X',
    dialog: { showMessageBox: async (...args) => { dialogs.push(args[args.length - 1]); return { response: 0 }; } },
    getWindow: () => null,
    stopBackend: async () => assert.fail('must not stop anything'),
    loadUpdater: () => assert.fail('must not load electron-updater'),
    log: quiet,
  });
  assert.equal(await controller.checkForUpdates(), 'unavailable');
  assert.match(dialogs[0].message, /unavailable in development/);
});

test('the updater is configured for manual download and install', async () => {
  const { controller, updater } = harness({ check: () => ({ isUpdateAvailable: false, updateInfo: { version: '0.1.0' } }) });
  await controller.checkForUpdates();
  assert.equal(updater.autoDownload, false);
  assert.equal(updater.autoInstallOnAppQuit, false);
});

test('consent to both steps stops the backend before quitAndInstall', async () => {
  const { controller, calls, dialogs, updater } = harness({ answers: [0, 0] });
  assert.equal(await controller.checkForUpdates(), 'installing');
  assert.deepEqual(calls, ['check', 'download', 'stopBackend', 'quitAndInstall']);
  assert.match(dialogs[0].message, /0\.2\.0 is available/);
  assert.match(dialogs[1].message, /0\.2\.0 is ready to install/);
  assert.equal(updater.autoDownload, false);
});

test('declining the download downloads nothing', async () => {
  const { controller, calls } = harness({ answers: [1] });
  assert.equal(await controller.checkForUpdates(), 'idle');
  assert.deepEqual(calls, ['check']);
});

test('declining the install keeps the download, and the next click offers it again', async () => {
  const { controller, calls } = harness({ answers: [0, 1, 0] });
  assert.equal(await controller.checkForUpdates(), 'ready');
  assert.deepEqual(calls, ['check', 'download']);
  assert.equal(await controller.checkForUpdates(), 'installing');
  assert.deepEqual(calls, ['check', 'download', 'stopBackend', 'quitAndInstall']);
});

test('up to date is reported', async () => {
  const { controller, dialogs } = harness({ check: () => ({ isUpdateAvailable: false, updateInfo: { version: '0.1.0' } }) });
  assert.equal(await controller.checkForUpdates(), 'idle');
  assert.match(dialogs[0].message, /up to date/);
});

test('a failed check or download is shown and leaves the app usable', async () => {
  const failing = harness({ check: () => { throw new Error('ENOTFOUND github.com'); } });
  assert.equal(await failing.controller.checkForUpdates(), 'idle');
  assert.equal(failing.dialogs[0].type, 'error');
  assert.match(failing.dialogs[0].detail, /ENOTFOUND/);

  const broken = harness({ answers: [0], download: () => { throw new Error('checksum mismatch'); } });
  assert.equal(await broken.controller.checkForUpdates(), 'idle');
  assert.ok(!broken.calls.includes('quitAndInstall'));
});

test('a click while a check is running does not start another', async () => {
  let release;
  const { controller, calls, dialogs } = harness({
    check: () => new Promise((resolve) => { release = () => resolve({ isUpdateAvailable: false, updateInfo: {} }); }),
  });
  const first = controller.checkForUpdates();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(await controller.checkForUpdates(), 'checking');
  assert.match(dialogs[0].message, /already being checked/);
  release();
  await first;
  assert.deepEqual(calls, ['check']);
});
