'use strict';
// Navigation, window and permission lock-down for every web contents the shell creates.
//
// The window only ever shows the backend. Links elsewhere open in the user's browser, and only
// for schemes a browser handles safely: `file:`, `javascript:`, custom app protocols and the
// like are dropped, because shell.openExternal would hand them to the OS to execute.

const { isBackendUrl } = require('./origin');

const EXTERNAL_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
// Page notifications are harmless and useful for finished routines; nothing else is needed.
const ALLOWED_PERMISSIONS = new Set(['notifications']);

function isSafeExternal(url) {
  try {
    return EXTERNAL_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** 'allow' (stay in the window), 'external' (open in the OS browser) or 'block'. */
function navigationDecision(url, backend) {
  if (isBackendUrl(url, backend)) return 'allow';
  if (isSafeExternal(url)) return 'external';
  return 'block';
}

/**
 * window.open and target=_blank never create a window. A safe link to another site opens in
 * the OS browser; a backend URL is not handed out, because the browser has no token (403).
 */
function windowOpenDecision(url, backend) {
  const external = !isBackendUrl(url, backend) && isSafeExternal(url);
  return { action: 'deny', openExternally: external };
}

function permissionDecision(permission, requestingUrl, backend) {
  return ALLOWED_PERMISSIONS.has(permission) && isBackendUrl(requestingUrl, backend);
}

/**
 * Attach the guards to one web contents. `getBackend` is read at event time because the splash
 * exists before the backend does; until then (and for the splash) nothing is allowed.
 */
function installNavigationGuards(webContents, { getBackend, openExternal, log }) {
  const onNavigate = (kind) => (event, legacyUrl) => {
    const url = event.url || legacyUrl;
    const decision = navigationDecision(url, getBackend());
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'external') {
      openExternal(url);
    } else {
      log.warn(`blocked ${kind} to ${url}`);
    }
  };
  webContents.on('will-navigate', onNavigate('navigation'));
  webContents.on('will-redirect', onNavigate('redirect'));
  webContents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url, getBackend());
    if (decision.openExternally) openExternal(url);
    else log.warn(`blocked a new window for ${url}`);
    return { action: decision.action };
  });
  // <webview> is off in webPreferences; refusing the attach covers it twice.
  webContents.on('will-attach-webview', (event) => event.preventDefault());
}

function installPermissionGuards(session, { getBackend }) {
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(permissionDecision(permission, details && details.requestingUrl, getBackend()));
  });
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin) =>
    permissionDecision(permission, requestingOrigin, getBackend()),
  );
}

module.exports = {
  installNavigationGuards,
  installPermissionGuards,
  isSafeExternal,
  navigationDecision,
  permissionDecision,
  windowOpenDecision,
};
