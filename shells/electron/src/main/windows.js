'use strict';
// The splash and the main window. Their webPreferences are the security baseline of the app
// (the security baseline in docs/architecture.md), written once, in lockedDownWindow. The
// baseline's keys and the preload are literal, after a window's own preferences, so
// electronegativity (which reads this file statically and cannot see into a spread) sees
// every one of them at the one `new BrowserWindow`, and no window can override one.
// BrowserWindow is passed in so the unit tests can record exactly what a window is created
// with.

const SPLASH_BACKGROUND = '#4b2a7b'; // the splash page's own background: no white flash

function lockedDownWindow(BrowserWindow, options, { preload, ...ownPreferences }) {
  return new BrowserWindow({
    ...options,
    backgroundColor: SPLASH_BACKGROUND,
    webPreferences: {
      ...ownPreferences,
      preload, // undefined (no preload script) for the splash
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
    },
  });
}

function createSplashWindow(BrowserWindow, { title, icon }) {
  const options = { title, icon, width: 420, height: 380, frame: false, resizable: false, center: true, show: true };
  // The splash is static HTML and CSS: it needs neither JavaScript nor DevTools.
  return lockedDownWindow(BrowserWindow, options, { javascript: false, devTools: false });
}

function createMainWindow(BrowserWindow, { title, icon, preload, isDev }) {
  // Shown on ready-to-show, once the first page has painted: the splash covers the wait.
  const options = { title, icon, width: 1100, height: 760, minWidth: 640, minHeight: 480, show: false };
  // A shipped app has no console to paste code into.
  return lockedDownWindow(BrowserWindow, options, { preload, devTools: Boolean(isDev) });
}

module.exports = { createMainWindow, createSplashWindow };
