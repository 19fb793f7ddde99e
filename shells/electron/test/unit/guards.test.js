'use strict';

const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { describe, test } = require('node:test');

const {
  installNavigationGuards,
  installPermissionGuards,
  navigationDecision,
  permissionDecision,
  windowOpenDecision,
} = require('../../src/main/guards');
const { parseBackendOrigin } = require('../../src/main/origin');

const backend = parseBackendOrigin('http://127.0.0.1:8123');
const quiet = { warn() {}, info() {}, error() {} };

describe('decisions', () => {
  test('navigation stays on the backend, safe links go to the OS browser, the rest is blocked', () => {
    assert.equal(navigationDecision('http://127.0.0.1:8123/ponies/', backend), 'allow');
    assert.equal(navigationDecision('https://example.com/', backend), 'external');
    assert.equal(navigationDecision('http://example.com/', backend), 'external');
    assert.equal(navigationDecision('mailto:stable@example.com', backend), 'external');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'data:text/html,x', 'not a url']) {
      assert.equal(navigationDecision(url, backend), 'block', url);
    }
  });

  test('before the backend exists (the splash) nothing is allowed in the window', () => {
    assert.equal(navigationDecision('http://127.0.0.1:8123/', null), 'external');
    assert.equal(navigationDecision('file:///x', null), 'block');
  });

  test('window.open is always denied; only safe foreign links open externally', () => {
    assert.deepEqual(windowOpenDecision('https://example.com/', backend), { action: 'deny', openExternally: true });
    assert.deepEqual(windowOpenDecision('http://127.0.0.1:8123/ponies/', backend), { action: 'deny', openExternally: false });
    assert.deepEqual(windowOpenDecision('file:///etc/passwd', backend), { action: 'deny', openExternally: false });
  });

  test('only notifications, and only for the backend origin', () => {
    assert.equal(permissionDecision('notifications', 'http://127.0.0.1:8123/', backend), true);
    assert.equal(permissionDecision('notifications', 'https://example.com/', backend), false);
    for (const permission of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen', 'hid']) {
      assert.equal(permissionDecision(permission, 'http://127.0.0.1:8123/', backend), false, permission);
    }
  });
});

function fakeContents() {
  const contents = new EventEmitter();
  contents.setWindowOpenHandler = (handler) => { contents.windowOpenHandler = handler; };
  return contents;
}

function navigationEvent(url) {
  return { url, prevented: false, preventDefault() { this.prevented = true; } };
}

describe('installed on a web contents', () => {
  test('will-navigate and will-redirect are enforced, and externals go to openExternal', () => {
    const contents = fakeContents();
    const opened = [];
    installNavigationGuards(contents, { getBackend: () => backend, openExternal: (url) => opened.push(url), log: quiet });

    const inside = navigationEvent('http://127.0.0.1:8123/routines/');
    contents.emit('will-navigate', inside);
    assert.equal(inside.prevented, false);

    const outside = navigationEvent('https://example.com/help');
    contents.emit('will-navigate', outside);
    assert.equal(outside.prevented, true);

    const fileUrl = navigationEvent('file:///etc/passwd');
    contents.emit('will-redirect', fileUrl);
    assert.equal(fileUrl.prevented, true);

    // Older Electron passes the URL as a second argument.
    const legacy = { prevented: false, preventDefault() { this.prevented = true; } };
    contents.emit('will-navigate', legacy, 'https://example.org/');
    assert.equal(legacy.prevented, true);

    assert.deepEqual(opened, ['https://example.com/help', 'https://example.org/']);
  });

  test('new windows are denied and webviews refused', () => {
    const contents = fakeContents();
    const opened = [];
    installNavigationGuards(contents, { getBackend: () => backend, openExternal: (url) => opened.push(url), log: quiet });
    assert.deepEqual(contents.windowOpenHandler({ url: 'https://example.com/' }), { action: 'deny' });
    assert.deepEqual(contents.windowOpenHandler({ url: 'http://127.0.0.1:8123/x' }), { action: 'deny' });
    assert.deepEqual(contents.windowOpenHandler({ url: 'javascript:alert(1)' }), { action: 'deny' });
    assert.deepEqual(opened, ['https://example.com/']);
    const attach = navigationEvent('');
    contents.emit('will-attach-webview', attach);
    assert.equal(attach.prevented, true);
  });

  test('permission handlers answer from the current backend', () => {
    let requestHandler;
    let checkHandler;
    const session = {
      setPermissionRequestHandler: (fn) => { requestHandler = fn; },
      setPermissionCheckHandler: (fn) => { checkHandler = fn; },
    };
    let current = null;
    installPermissionGuards(session, { getBackend: () => current });
    const answers = [];
    requestHandler({}, 'notifications', (granted) => answers.push(granted), { requestingUrl: 'http://127.0.0.1:8123/' });
    current = backend;
    requestHandler({}, 'notifications', (granted) => answers.push(granted), { requestingUrl: 'http://127.0.0.1:8123/' });
    requestHandler({}, 'media', (granted) => answers.push(granted), { requestingUrl: 'http://127.0.0.1:8123/' });
    assert.deepEqual(answers, [false, true, false]);
    assert.equal(checkHandler({}, 'notifications', 'http://127.0.0.1:8123'), true);
    assert.equal(checkHandler({}, 'geolocation', 'http://127.0.0.1:8123'), false);
  });
});
