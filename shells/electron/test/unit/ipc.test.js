'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { CHANNELS, isTrustedSender, registerIpcHandlers } = require('../../src/main/ipc');
const { parseBackendOrigin } = require('../../src/main/origin');

const backend = parseBackendOrigin('http://127.0.0.1:8123');
const trustedWebContentsIds = new Set([7]);
const quiet = { warn() {}, info() {}, error() {} };

function event({ id = 7, url = 'http://127.0.0.1:8123/ponies/', parent = null, frame = true } = {}) {
  return { sender: { id }, senderFrame: frame ? { url, parent } : null };
}

test('the top frame of our window on the backend origin is trusted', () => {
  assert.equal(isTrustedSender(event(), { backend, trustedWebContentsIds }), true);
});

test('other windows, subframes, other origins and vanished frames are not', () => {
  const context = { backend, trustedWebContentsIds };
  assert.equal(isTrustedSender(event({ id: 8 }), context), false);
  assert.equal(isTrustedSender(event({ parent: { url: 'http://127.0.0.1:8123/' } }), context), false);
  assert.equal(isTrustedSender(event({ url: 'https://example.com/' }), context), false);
  assert.equal(isTrustedSender(event({ url: 'http://127.0.0.1:9999/' }), context), false);
  assert.equal(isTrustedSender(event({ frame: false }), context), false);
  assert.equal(isTrustedSender(event(), { backend: null, trustedWebContentsIds }), false);
  assert.equal(isTrustedSender(undefined, context), false);
});

test('handlers run the action only for trusted senders', async () => {
  const handlers = new Map();
  const ipcMain = { handle: (channel, fn) => handlers.set(channel, fn) };
  const calls = [];
  registerIpcHandlers(ipcMain, {
    isTrusted: (e) => isTrustedSender(e, { backend, trustedWebContentsIds }),
    actions: { openAppDataFolder: () => calls.push('data'), openLogsFolder: () => calls.push('logs') },
    log: quiet,
  });
  assert.deepEqual([...handlers.keys()].sort(), Object.values(CHANNELS).sort());
  assert.equal(await handlers.get(CHANNELS.openAppDataFolder)(event()), true);
  assert.equal(await handlers.get(CHANNELS.openLogsFolder)(event()), true);
  await assert.rejects(handlers.get(CHANNELS.openLogsFolder)(event({ url: 'https://example.com/' })), /not allowed/);
  await assert.rejects(handlers.get(CHANNELS.openAppDataFolder)(event({ id: 99 })), /not allowed/);
  assert.deepEqual(calls, ['data', 'logs']);
});
