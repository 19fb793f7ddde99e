'use strict';
// The composition root: the only main-process module that talks to `electron` directly
// besides the lazy updater. Each concern lives in its own module; this file wires them in the
// order the app needs: lock, splash, backend and worker (a trial slot gated and confirmed, a
// failed one rolled back: backend-start.js), token header, window.

const fs = require('node:fs');
const path = require('node:path');
const { app, BrowserWindow, Menu, dialog, ipcMain, session, shell } = require('electron');

const { installAuthHeader } = require('./auth-header');
const { startBackend } = require('./backend-start');
const { applyLayer } = require('./backend-update');
const { exportDiagnostics } = require('./diagnostics');
const { installNavigationGuards, installPermissionGuards } = require('./guards');
const { layerFromArgv } = require('./install-argument');
const { isTrustedSender, registerIpcHandlers } = require('./ipc');
const { resolveLaunchPlan } = require('./launch-plan');
const { installMenu } = require('./menu');
const { rollbackMessage } = require('./ready-line');
const { createShellLog } = require('./shell-log');
const { createUpdateController } = require('./updates');
const { createMainWindow, createSplashWindow } = require('./windows');

const APP_ROOT = path.join(__dirname, '..', '..');
const SPLASH_PAGE = path.join(APP_ROOT, 'generated', 'splash.html');
const ICON = path.join(APP_ROOT, 'assets', 'icons', 'png', '512x512.png'); // desktop_django_tools/icons.py (nox -s icons)
const PRELOAD = path.join(__dirname, '..', 'preload', 'preload.js');
const isDev = !app.isPackaged;

// A development run must never touch the installed app's data: its database may be migrated
// ahead of the release, which the release would then refuse to open. nox points dev runs at
// the repo's .devdata/; a bare `electron .` gets its own "(dev)" folder. The single-instance
// lock is keyed on this path, so it is set first.
if (isDev) {
  const override = process.env.DESKTOP_DJANGO_USER_DATA_DIR;
  app.setPath(
    'userData',
    override ? path.resolve(override) : path.join(app.getPath('appData'), `${app.getName()} (dev)`),
  );
}

// Every renderer sandboxed, whatever a future BrowserWindow forgets to say.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the backend; it receives 'second-instance' and comes forward.
  app.quit();
} else {
  run();
}

function run() {
  const appName = app.getName();
  const appDataDir = app.getPath('userData');
  const logDir = path.join(appDataDir, 'logs');
  const log = createShellLog(logDir, { echo: isDev || Boolean(process.env.DESKTOP_DJANGO_SHELL_ECHO) });
  const icon = fs.existsSync(ICON) ? ICON : undefined;
  const trustedWebContentsIds = new Set();
  const state = {
    factoryPlan: null,
    plan: null,
    backend: null,
    supervisor: null,
    splash: null,
    window: null,
    quitting: false,
    backendStopped: false,
    serving: false, // the first start finished: a handed-over layer can be installed now
    pendingLayers: [], // --install-backend-update files that arrived before that
    installing: Promise.resolve(), // the last install asked for: the next one waits for it
  };
  const getBackend = () => state.backend;

  log.info(`starting ${appName} ${app.getVersion()} (${isDev ? 'development' : 'packaged'})`);

  async function stopBackend() {
    try {
      if (state.supervisor) await state.supervisor.stop();
    } finally {
      // Even a failed stop must not hold the quit forever: the stdin guard still applies.
      state.backendStopped = true;
    }
  }

  function fatal(title, detail) {
    log.error(`${title}: ${detail}`);
    if (!state.quitting) dialog.showErrorBox(title, detail);
    app.quit();
  }

  function messageBox(options) {
    const window = state.window && !state.window.isDestroyed() ? state.window : null;
    return window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options);
  }

  function bringToFront() {
    const target = state.window || state.splash;
    if (!target || target.isDestroyed()) return;
    if (target.isMinimized()) target.restore();
    target.show();
    target.focus();
  }

  const updates = createUpdateController({
    isDev,
    appName,
    dialog,
    getWindow: () => state.window,
    stopBackend,
    log,
  });

  function backendUpdatesHere() {
    if (state.plan && state.plan.stageDir) return true;
    messageBox({ type: 'info', buttons: ['OK'], message: 'No backend update here', detail: 'Backend updates apply to a staged or installed backend, not to a development run.' });
    return false;
  }

  /**
   * Help > Install Backend Update…'s flow once it has a file (the picker's, or
   * --install-backend-update's): applied with the interpreter of the slot that serves now (it
   * holds the trusted key), then the backend restarts onto the new slot's trial, which the
   * health gate confirms or rolls back. A refusal is said in a dialog; the old version keeps
   * serving. One install at a time, in the order they were asked for.
   */
  function installLayer(file) {
    const done = state.installing.then(() => applyAndRestart(file));
    state.installing = done.catch(() => {});
    return done;
  }

  async function applyAndRestart(file) {
    if (!backendUpdatesHere()) return;
    let applied;
    try {
      applied = await applyLayer(state.plan, appDataDir, file);
    } catch (error) {
      log.error(`backend update ${file} not installed: ${error.message}`);
      messageBox({ type: 'error', buttons: ['OK'], message: 'Backend update not installed', detail: error.message });
      return;
    }
    log.info(`backend update ${applied.version} installed in ${applied.slot}; restarting the backend`);
    await restartBackend().catch((error) => fatal(`${appName} could not restart its backend`, error.stack || String(error)));
  }

  /** --install-backend-update in a launch's argv: installed now, or once the backend serves. */
  function installFromArgv(argv, cwd) {
    let file;
    try {
      file = layerFromArgv(argv, cwd);
    } catch (error) {
      log.error(error.message);
      messageBox({ type: 'error', buttons: ['OK'], message: 'Backend update not installed', detail: error.message });
      return;
    }
    if (!file) return;
    if (state.serving) installLayer(file);
    else state.pendingLayers.push(file);
  }

  const openFolder = async (folder) => {
    const problem = await shell.openPath(folder);
    if (problem) log.warn(`could not open ${folder}: ${problem}`);
  };
  const actions = {
    checkForUpdates: () => updates.checkForUpdates().catch((error) => log.error(`updates: ${error.stack}`)),
    installBackendUpdate: async () => {
      if (!backendUpdatesHere()) return;
      const { canceled, filePaths } = await dialog.showOpenDialog({
        title: 'Install Backend Update',
        properties: ['openFile'],
        filters: [{ name: 'Backend update', extensions: ['layer'] }],
      });
      if (canceled || !filePaths || !filePaths.length) return;
      await installLayer(filePaths[0]);
    },
    openAppDataFolder: () => openFolder(appDataDir),
    openLogsFolder: () => openFolder(logDir),
    exportDiagnostics: async () => {
      if (!state.plan) return;
      const { canceled, filePath } = await dialog.showSaveDialog({
        defaultPath: path.join(app.getPath('downloads'), `${appName}-diagnostics.zip`),
        filters: [{ name: 'Zip', extensions: ['zip'] }],
      });
      if (canceled || !filePath) return;
      const env = state.supervisor ? state.supervisor.env : process.env;
      try {
        const written = await exportDiagnostics(state.plan, env, filePath);
        messageBox({ type: 'info', buttons: ['OK'], message: 'Diagnostics saved', detail: `${written}\nIt holds no token and no key.` });
      } catch (error) {
        log.error(`diagnostics: ${error.message}`);
        messageBox({ type: 'error', buttons: ['OK'], message: 'Diagnostics not saved', detail: error.message });
      }
    },
    about: () =>
      messageBox({
        type: 'info',
        buttons: ['OK'],
        message: `${appName} ${app.getVersion()}`,
        detail: [
          `Backend: ${state.plan ? state.plan.appVersion || 'from source' : 'not started'} (${state.plan ? state.plan.mode : '-'})`,
          `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}`,
          `App data: ${appDataDir}`,
        ].join('\n'),
      }),
  };

  app.on('second-instance', (_event, argv, workingDirectory) => {
    bringToFront();
    installFromArgv(argv, workingDirectory || process.cwd());
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (state.backendStopped || !state.supervisor) return;
    // Quit waits for the children: closing stdin, the grace period, then the tree kill.
    event.preventDefault();
    if (state.quitting) return;
    state.quitting = true;
    stopBackend()
      .catch((error) => log.error(`stopping the backend: ${error.stack}`))
      .finally(() => app.quit());
  });
  // A crash of the main process: the children also exit on their own (stdin EOF), this only
  // makes it immediate.
  process.on('exit', () => state.supervisor && state.supervisor.killNow());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => app.quit());

  app.on('web-contents-created', (_event, contents) => {
    installNavigationGuards(contents, {
      getBackend,
      openExternal: (url) => shell.openExternal(url).catch((error) => log.warn(`openExternal: ${error.message}`)),
      log,
    });
  });

  function showSplash() {
    const splash = createSplashWindow(BrowserWindow, { title: appName, icon });
    splash.loadFile(SPLASH_PAGE).catch((error) => log.warn(`splash page: ${error.message}`));
    splash.on('closed', () => {
      state.splash = null;
    });
    return splash;
  }

  function closeSplash() {
    if (state.splash && !state.splash.isDestroyed()) state.splash.close();
  }

  function showMainWindow(backend) {
    const win = createMainWindow(BrowserWindow, { title: appName, icon, preload: PRELOAD, isDev });
    const contentsId = win.webContents.id;
    trustedWebContentsIds.add(contentsId);
    win.once('ready-to-show', () => {
      win.show();
      closeSplash();
    });
    // One line per page with its HTTP status: a 403 here means the token header did not arrive.
    win.webContents.on('did-navigate', (_event, url, status) => log.info(`main window loaded ${url} (HTTP ${status})`));
    win.webContents.on('did-fail-load', (_event, code, description, url, isMainFrame) => {
      // -3 (ABORTED) is a navigation replaced by another one: not a failure.
      if (!isMainFrame || code === -3) return;
      log.error(`main window failed to load ${url}: ${description} (${code})`);
      win.show();
      closeSplash();
    });
    win.on('closed', () => {
      trustedWebContentsIds.delete(contentsId);
      state.window = null;
    });
    win.loadURL(backend.home);
    return win;
  }

  async function start() {
    installPermissionGuards(session.defaultSession, { getBackend });
    installMenu(Menu, { appName, isDev, isMac: process.platform === 'darwin', actions });
    registerIpcHandlers(ipcMain, {
      isTrusted: (event) => isTrustedSender(event, { backend: state.backend, trustedWebContentsIds }),
      actions,
      log,
    });
    state.splash = showSplash();
    // This launch's own --install-backend-update waits for the backend like a handed-over one.
    installFromArgv(process.argv, process.cwd());

    try {
      state.factoryPlan = resolveLaunchPlan({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath });
    } catch (error) {
      fatal(`${appName} cannot start`, `The bundled backend is not usable:\n\n${error.message}\n\nReinstall the app.`);
      return;
    }
    log.info(`backend mode: ${state.factoryPlan.mode}; installed interpreter: ${state.factoryPlan.executable}`);
    const started = await launchBackend();
    if (!started) return;
    state.window = showMainWindow(started.backend);
    state.serving = true;
    for (const file of state.pendingLayers.splice(0)) installLayer(file);
  }

  /**
   * Start the slot the rule names (a trial is gated and confirmed, a failed one rolled back:
   * backend-start.js), then the token header for its origin. Resolves with startBackend's
   * answer, or null after a fatal dialog or when the app is quitting.
   */
  async function launchBackend() {
    let started;
    try {
      started = await startBackend({
        factoryPlan: state.factoryPlan,
        appDataDir,
        log,
        track: (supervisor) => {
          state.supervisor = supervisor;
        },
        cancelled: () => state.quitting,
      });
    } catch (error) {
      if (state.quitting) return null;
      fatal(`${appName} could not start`, `${error.message}\n\nDetails are in the log:\n${error.logPath || logDir}`);
      return null;
    }
    if (state.quitting) return null;
    const { supervisor, plan, backend, token } = started;
    state.plan = plan;
    state.backend = backend;
    log.info(`backend ${plan.appVersion || 'from source'} serving from ${plan.cwd}`);
    supervisor.on('serve-died', ({ logPath }) => {
      fatal(`${appName} stopped working`, `The web server exited unexpectedly.\n\nDetails are in the log:\n${logPath}`);
    });
    supervisor.on('worker-gave-up', ({ logPath }) => {
      messageBox({
        type: 'warning',
        buttons: ['OK'],
        message: 'Background routines have stopped.',
        detail: `The task worker exited several times and was not restarted again. The app still works; restart it to try again.\n\nDetails are in the log:\n${logPath}`,
      });
    });
    installAuthHeader(session.defaultSession, { backend, token });
    if (started.rolledBack) {
      const sentence = rollbackMessage(started.rolledBack);
      log.warn(sentence);
      messageBox({ type: 'warning', buttons: ['OK'], message: 'Backend update rolled back', detail: sentence });
    }
    return started;
  }

  /** Stop the backend and start the slot the rule names now (after an update was installed). */
  async function restartBackend() {
    if (state.supervisor) await state.supervisor.stop();
    state.backend = null;
    const started = await launchBackend();
    if (!started) return;
    if (state.window && !state.window.isDestroyed()) state.window.loadURL(started.backend.home);
    else state.window = showMainWindow(started.backend);
  }

  app.whenReady()
    .then(start)
    .catch((error) => fatal(`${appName} could not start`, error.stack || String(error)));
}
