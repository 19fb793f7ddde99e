'use strict';
// The splash and the main window. Their webPreferences are the security baseline of the app
// (the security baseline in docs/architecture.md). They are written out literally at each `new BrowserWindow` on
// purpose: electronegativity reads this file statically and cannot see through helpers or
// spreads, and a reader should not have to either. BrowserWindow is passed in so the unit
// tests can record exactly what a window is created with.

const SPLASH_BACKGROUND = '#4b2a7b'; // the splash page's own background: no white flash

function createSplashWindow(BrowserWindow, { title, icon }) {
  return new BrowserWindow({
    title,
    icon,
    width: 420,
    height: 380,
    frame: false,
    resizable: false,
    center: true,
    show: true,
    backgroundColor: SPLASH_BACKGROUND,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // The splash is static HTML and CSS: it needs neither JavaScript nor DevTools.
      javascript: false,
      devTools: false,
    },
  });
}

function createMainWindow(BrowserWindow, { title, icon, preload, isDev }) {
  return new BrowserWindow({
    title,
    icon,
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    // Shown on ready-to-show, once the first page has painted: the splash covers the wait.
    show: false,
    backgroundColor: SPLASH_BACKGROUND,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      // Middle-click would otherwise try to open a window (denied anyway by the guards).
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // A shipped app has no console to paste code into.
      devTools: Boolean(isDev),
    },
  });
}

module.exports = { createMainWindow, createSplashWindow };
