'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { buildMenuTemplate, installMenu } = require('../../src/main/menu');

function template(overrides = {}) {
  const calls = [];
  const actions = Object.fromEntries(
    ['checkForUpdates', 'installBackendUpdate', 'openAppDataFolder', 'openLogsFolder', 'about'].map((name) => [name, () => calls.push(name)]),
  );
  return { menu: buildMenuTemplate({ appName: 'Flying Stable', isDev: false, isMac: false, actions, ...overrides }), calls };
}

const labels = (menu) => menu.map((item) => item.label || item.role);
const allRoles = (menu) => menu.flatMap((item) => [item.role, ...(item.submenu || []).map((sub) => sub.role)]).filter(Boolean);

test('File, Edit, View, Window, Help in that order (plus the app menu on macOS)', () => {
  assert.deepEqual(labels(template().menu), ['File', 'editMenu', 'View', 'windowMenu', 'Help']);
  assert.deepEqual(labels(template({ isMac: true }).menu), ['Flying Stable', 'File', 'editMenu', 'View', 'windowMenu', 'Help']);
});

test('DevTools only in dev mode', () => {
  assert.ok(!allRoles(template({ isDev: false }).menu).includes('toggleDevTools'));
  assert.ok(allRoles(template({ isDev: true }).menu).includes('toggleDevTools'));
});

test('Help has the five items, each wired to its action', () => {
  const { menu, calls } = template();
  const help = menu.find((item) => item.label === 'Help');
  const items = help.submenu.filter((item) => item.type !== 'separator');
  assert.deepEqual(items.map((item) => item.label), [
    'Check for Updates…',
    'Install Backend Update…',
    'Open App Data Folder',
    'Open Logs Folder',
    'About Flying Stable',
  ]);
  for (const item of items) item.click();
  assert.deepEqual(calls, ['checkForUpdates', 'installBackendUpdate', 'openAppDataFolder', 'openLogsFolder', 'about']);
});

test('File quits on Windows/Linux and closes the window on macOS', () => {
  assert.deepEqual(template().menu[0].submenu, [{ role: 'quit' }]);
  assert.deepEqual(template({ isMac: true }).menu[1].submenu, [{ role: 'close' }]);
});

test('installMenu hands the template to Electron', () => {
  let installed;
  const Menu = { buildFromTemplate: (t) => ({ built: t }), setApplicationMenu: (m) => { installed = m; } };
  installMenu(Menu, { appName: 'X', isDev: true, isMac: false, actions: {} });
  assert.equal(installed.built.length, 5);
});

test('Export Diagnostics… appears once the shell provides the action, and calls it', () => {
  const calls = [];
  const actions = Object.fromEntries(
    ['checkForUpdates', 'openAppDataFolder', 'openLogsFolder', 'about', 'exportDiagnostics'].map((name) => [
      name,
      () => calls.push(name),
    ]),
  );
  const menu = buildMenuTemplate({ appName: 'Flying Stable', isDev: false, isMac: false, actions });
  const help = menu.find((item) => item.label === 'Help').submenu;
  const item = help.find((entry) => entry.label === 'Export Diagnostics…');
  assert.ok(item, 'the item is in the Help menu');
  assert.equal(help.indexOf(item), help.findIndex((entry) => entry.label === 'Open Logs Folder') + 1);
  item.click();
  assert.deepEqual(calls, ['exportDiagnostics']);
  const without = template().menu.find((entry) => entry.label === 'Help').submenu;
  assert.ok(!without.some((entry) => entry.label === 'Export Diagnostics…'));
});
