'use strict';
// Runs the real preload file in a VM with a stand-in `electron` module, the way a sandboxed
// preload runs: only `require('electron')` is available.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { test } = require('node:test');

const { CHANNELS } = require('../../src/main/ipc');

const PRELOAD = path.join(__dirname, '..', '..', 'src', 'preload', 'preload.js');

function runPreload() {
  const exposed = {};
  const invoked = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (name, api) => { exposed[name] = api; } },
    ipcRenderer: { invoke: (channel, ...args) => { invoked.push({ channel, args }); return Promise.resolve(true); } },
  };
  const sandboxRequire = (name) => {
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  vm.runInNewContext(fs.readFileSync(PRELOAD, 'utf8'), { require: sandboxRequire }, { filename: PRELOAD });
  return { exposed, invoked };
}

test('the preload exposes exactly one frozen object with two functions', () => {
  const { exposed } = runPreload();
  assert.deepEqual(Object.keys(exposed), ['desktop']);
  const api = exposed.desktop;
  assert.ok(Object.isFrozen(api));
  assert.deepEqual(Object.keys(api).sort(), ['openAppDataFolder', 'openLogsFolder']);
  for (const fn of Object.values(api)) assert.equal(typeof fn, 'function');
});

test('each function sends on the channel the main process handles, with no arguments, and returns nothing', async () => {
  const { exposed, invoked } = runPreload();
  assert.equal(await exposed.desktop.openAppDataFolder('ignored', { path: '/etc' }), undefined);
  assert.equal(await exposed.desktop.openLogsFolder(), undefined);
  assert.deepEqual(invoked, [
    { channel: CHANNELS.openAppDataFolder, args: [] },
    { channel: CHANNELS.openLogsFolder, args: [] },
  ]);
});
