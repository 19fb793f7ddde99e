'use strict';
// Help → Check for Updates…: a manual check with electron-updater, a download only after the
// user agrees, and an install only after the backend children are stopped (the installer
// replaces files the running interpreter has open, which Windows refuses outright).
//
// Nothing happens in the background: a desktop app for offline and air-gapped sites must not
// reach out on its own. electron-updater is loaded lazily because it requires `electron` at
// load time and is only meaningful in a packaged app.

const { canCheck, transition } = require('./update-state');

function createUpdateController({
  isDev,
  appName,
  dialog,
  getWindow,
  stopBackend,
  loadUpdater = () => require('electron-updater').autoUpdater,
  log,
}) {
  let state = 'idle';
  let updater = null;
  let readyVersion = null;

  const move = (event) => {
    state = transition(state, event);
    return state;
  };
  // Attached to the window when there is one; app-modal otherwise (e.g. during start-up).
  const box = (options) => {
    const window = getWindow();
    return window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options);
  };
  const ask = (options) => box({ type: 'question', ...options });
  const tell = (options) => box({ type: 'info', buttons: ['OK'], ...options });

  function ensureUpdater() {
    if (updater) return updater;
    updater = loadUpdater();
    updater.autoDownload = false; // download only on consent
    updater.autoInstallOnAppQuit = false; // install only on consent, after the backend stopped
    updater.logger = log;
    return updater;
  }

  async function fail(what, error) {
    move('error');
    log.error(`update ${what} failed: ${error && error.message}`);
    await box({
      type: 'error',
      buttons: ['OK'],
      message: `The update ${what} failed.`,
      detail: `${error && error.message ? error.message : error}\n\nThe app keeps running on its current version.`,
    });
  }

  async function offerInstall() {
    const { response } = await ask({
      buttons: ['Restart and Install', 'Later'],
      defaultId: 0,
      cancelId: 1,
      message: `${appName} ${readyVersion} is ready to install.`,
      detail: 'The app will close, install the update and start again.',
    });
    if (response !== 0) {
      move('decline');
      return state;
    }
    move('install');
    try {
      await stopBackend();
      updater.quitAndInstall(false, true);
    } catch (error) {
      await fail('installation', error);
    }
    return state;
  }

  async function checkForUpdates() {
    if (isDev) {
      await tell({
        message: 'Updates are unavailable in development.',
        detail: 'A packaged build checks its release feed (GitHub Releases, or the URL set at build time).',
      });
      return 'unavailable';
    }
    if (state === 'ready') return offerInstall();
    if (!canCheck(state)) {
      await tell({ message: 'An update is already being checked or downloaded.' });
      return state;
    }
    move('check');
    let result;
    try {
      result = await ensureUpdater().checkForUpdates();
    } catch (error) {
      await fail('check', error);
      return state;
    }
    if (!result || !result.isUpdateAvailable) {
      move('not-available');
      await tell({ message: `${appName} is up to date.` });
      return state;
    }
    move('available');
    const version = result.updateInfo.version;
    const { response } = await ask({
      buttons: ['Download', 'Not Now'],
      defaultId: 0,
      cancelId: 1,
      message: `${appName} ${version} is available.`,
      detail: 'Download it now? You will be asked again before it is installed.',
    });
    if (response !== 0) {
      move('decline');
      return state;
    }
    move('consent');
    try {
      await updater.downloadUpdate();
    } catch (error) {
      await fail('download', error);
      return state;
    }
    readyVersion = version;
    move('downloaded');
    return offerInstall();
  }

  return { checkForUpdates, get state() { return state; } };
}

module.exports = { createUpdateController };
