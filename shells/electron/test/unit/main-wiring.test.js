'use strict';
// src/main/index.js, the composition root, run under plain Node with a fake Electron
// (test/fixtures/fake-electron.js) and a fake stage whose "interpreter" is the fake launcher.
// This cannot prove Electron behaves as documented; it proves the shell wires its modules in
// the right order: splash first, backend, token header, worker, window, guards, IPC, quit.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { currentPlatform } = require('../../src/main/manifest');
const { VECTORS_DIR } = require('../support/paths');
const { isAlive } = require('../support/processes');
const { makeTempDir } = require('../support/temp');

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function fakeStage() {
  const stage = makeTempDir('fake-stage-');
  const manifest = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, 'valid', 'minimal-linux.json'), 'utf8'));
  manifest.python = { ...manifest.python, platform: currentPlatform(), executable: 'python/bin/python3' };
  fs.writeFileSync(path.join(stage, 'runtime-manifest.json'), JSON.stringify(manifest));
  fs.mkdirSync(path.join(stage, 'python', 'bin'), { recursive: true });
  const wrapper = `#!/bin/sh\nexec "${process.execPath}" "${path.join(FIXTURES, 'fake-launcher.js')}" "$@"\n`;
  fs.writeFileSync(path.join(stage, 'python', 'bin', 'python3'), wrapper, { mode: 0o755 });
  return stage;
}

test('index.js wires splash, backend, header, worker, window, guards, IPC, Install Backend Update (menu and a later launch\'s --install-backend-update) and quit', { skip: process.platform === 'win32' && 'the fake interpreter is a shell script', timeout: 60_000 }, () => {
  const stage = fakeStage();
  const appData = makeTempDir('fake-appdata-');
  const userData = path.join(appData, 'user-data');
  const updateLog = path.join(appData, 'update-commands.jsonl');
  const layer = path.join(appData, 'flying-stable-backend-0.2.0-from-0.1.0.layer');
  const handedLayer = path.join(appData, 'usb', 'flying-stable-backend-0.3.0-from-0.2.0.layer');
  // Files the shell can read (it refuses a missing one itself); the fake launcher applies them.
  fs.mkdirSync(path.dirname(handedLayer));
  for (const file of [layer, handedLayer]) fs.writeFileSync(file, 'layer');
  const run = spawnSync(process.execPath, [path.join(FIXTURES, 'run-main-with-fake-electron.js')], {
    env: {
      ...process.env,
      FAKE_APP_DATA: appData,
      DESKTOP_DJANGO_ELECTRON_MODE: 'staged',
      DESKTOP_DJANGO_STAGE_DIR: stage,
      DESKTOP_DJANGO_USER_DATA_DIR: userData,
      FAKE_OPEN_FILE: layer,
      FAKE_HANDED_LAYER: handedLayer,
      FAKE_UPDATE_LOG: updateLog,
    },
    encoding: 'utf8',
    timeout: 55_000,
  });
  assert.equal(run.status, 0, `${run.stderr}\n${run.stdout}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop());

  assert.equal(result.userData, userData, 'a dev run uses the folder nox gives it');
  assert.equal(result.sandboxEnabled, true);
  assert.equal(result.splash.file, path.join(__dirname, '..', '..', 'generated', 'splash.html'));
  assert.equal(result.splash.javascript, false);
  assert.match(result.mainURL, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(result.mainShownBeforeReady, false);
  assert.deepEqual(result.afterReadyToShow, { mainShown: true, splashClosed: true });

  assert.equal(result.tokenForBackend, true);
  assert.deepEqual(result.headersElsewhere, {});

  assert.deepEqual(result.ipcTrustedOpened, [userData]);
  assert.equal(result.ipcFromSplash, 'refused');
  assert.deepEqual(result.externalNavigation, { prevented: true, opened: ['https://example.com/docs'] });
  assert.deepEqual(result.windowOpen, { action: 'deny' });
  assert.equal(result.secondInstanceFocused, true);
  assert.deepEqual(result.helpMenu, ['Check for Updates…', 'Install Backend Update…', 'Open App Data Folder', 'Open Logs Folder', 'Export Diagnostics…', 'About Flying Stable']);

  // The layer went to `backend-update apply` with the serving stage's interpreter, folder and
  // no token; the backend restarted and the same window loads the new origin. Then a later
  // launch's `--install-backend-update=FILE` (relative to its own folder) did the same.
  assert.deepEqual(result.installBackendUpdate, {
    picker: [{ properties: ['openFile'], extensions: ['layer'] }],
    reloadedOnNewOrigin: true,
    windows: 2,
    newTokenForNewBackend: true,
  });
  const updateCommands = fs.readFileSync(updateLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(updateCommands, [
    { command: 'apply', file: layer, cwd: fs.realpathSync(stage), token: null },
    { command: 'apply', file: handedLayer, cwd: fs.realpathSync(stage), token: null },
  ]);

  // Quit waits for the backend: the first quit is held, the second one goes through.
  assert.equal(result.firstQuitPrevented, true);
  assert.equal(result.quitCalls, 2);
  assert.deepEqual(result.errorBoxes, []);
  const started = [...result.log.matchAll(/(serve|worker) running as pid (\d+)/g)].map((m) => Number(m[2]));
  const exited = [...result.log.matchAll(/(?:serve|worker) \(pid (\d+)\) exited/g)].map((m) => Number(m[1]));
  assert.equal(started.length, 6, result.log);
  assert.deepEqual(exited.sort(), started.sort(), `both children should have exited:\n${result.log}`);
  for (const pid of started) assert.equal(isAlive(pid), false);
  assert.match(result.log, /backend stopped/);
  assert.doesNotMatch(result.log, /[0-9a-f]{64}/, 'the token must never be logged');
});
