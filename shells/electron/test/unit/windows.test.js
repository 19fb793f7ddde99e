'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { createMainWindow, createSplashWindow } = require('../../src/main/windows');

class RecordingWindow {
  constructor(options) {
    this.options = options;
  }
}

function assertLockedDown(prefs) {
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webviewTag, false);
  // "No webSecurity changes": the option is never set, so Chromium's default (on) holds.
  assert.equal('webSecurity' in prefs, false);
  assert.equal('allowRunningInsecureContent' in prefs, false);
  assert.equal('experimentalFeatures' in prefs, false);
  assert.equal('enableBlinkFeatures' in prefs, false);
}

test('the main window is locked down, hidden until painted, with the preload', () => {
  const win = createMainWindow(RecordingWindow, { title: 'T', icon: undefined, preload: '/app/preload.js', isDev: false });
  const prefs = win.options.webPreferences;
  assertLockedDown(prefs);
  assert.equal(prefs.preload, '/app/preload.js');
  assert.equal(prefs.devTools, false);
  assert.equal(win.options.show, false);
});

test('DevTools are available in dev mode only', () => {
  const win = createMainWindow(RecordingWindow, { title: 'T', preload: '/p.js', isDev: true });
  assert.equal(win.options.webPreferences.devTools, true);
});

test('the splash runs without JavaScript, preload or DevTools', () => {
  const win = createSplashWindow(RecordingWindow, { title: 'T' });
  const prefs = win.options.webPreferences;
  assertLockedDown(prefs);
  assert.equal(prefs.javascript, false);
  assert.equal(prefs.devTools, false);
  assert.equal(prefs.preload, undefined); // Electron runs no preload script then
  assert.equal(win.options.show, true);
});
