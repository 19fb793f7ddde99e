'use strict';
// The application menu as a plain template, so its shape is unit-tested without Electron.
// DevTools exist only in dev mode: a shipped app gives no console in which to paste code.

function viewMenu(isDev) {
  const items = [{ role: 'reload' }];
  if (isDev) items.push({ role: 'forceReload' }, { role: 'toggleDevTools' });
  items.push(
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  );
  return { label: 'View', submenu: items };
}

// Support items: the diagnostics zip (logs, manifest, versions, integrity check, app-data
// listing; never the token or the secret key) is offered wherever the shell can write one.
function supportItems(actions) {
  const items = [
    { label: 'Open App Data Folder', click: () => actions.openAppDataFolder() },
    { label: 'Open Logs Folder', click: () => actions.openLogsFolder() },
  ];
  if (actions.exportDiagnostics) {
    items.push({ label: 'Export Diagnostics…', click: () => actions.exportDiagnostics() });
  }
  return items;
}

/**
 * @param {{appName: string, isDev: boolean, isMac: boolean,
 *          actions: {checkForUpdates, installBackendUpdate, openAppDataFolder, openLogsFolder, about,
 *                    exportDiagnostics?}}} options
 */
function buildMenuTemplate({ appName, isDev, isMac, actions }) {
  const template = [];
  if (isMac) template.push({ label: appName, role: 'appMenu' });
  template.push(
    { label: 'File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    viewMenu(isDev),
    { role: 'windowMenu' },
    {
      label: 'Help',
      role: 'help',
      submenu: [
        { label: 'Check for Updates…', click: () => actions.checkForUpdates() },
        // A signed backend layer from a file (a USB stick): docs/backend-updates.md.
        { label: 'Install Backend Update…', click: () => actions.installBackendUpdate() },
        { type: 'separator' },
        ...supportItems(actions),
        { type: 'separator' },
        { label: `About ${appName}`, click: () => actions.about() },
      ],
    },
  );
  return template;
}

function installMenu(Menu, options) {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(options)));
}

module.exports = { buildMenuTemplate, installMenu };
