'use strict';
// The whole native surface a page gets: one frozen object with two functions and no data.
// It carries no token and no path: the main process decides what to open, and checks that
// the message comes from the backend page in our own window (src/main/ipc.js).
//
// Sandboxed preloads can only require `electron`, so the channel names are repeated here;
// test/unit/preload.test.js checks they match the main process's.

const { contextBridge, ipcRenderer } = require('electron');

const OPEN_APP_DATA_FOLDER = 'desktop:open-app-data-folder';
const OPEN_LOGS_FOLDER = 'desktop:open-logs-folder';

contextBridge.exposeInMainWorld(
  'desktop',
  Object.freeze({
    openAppDataFolder: () => ipcRenderer.invoke(OPEN_APP_DATA_FOLDER).then(() => undefined),
    openLogsFolder: () => ipcRenderer.invoke(OPEN_LOGS_FOLDER).then(() => undefined),
  }),
);
