'use strict';
// The only messages a page can send to the main process: open two folders. Each handler checks
// who is asking before doing anything, because any frame that gets the preload (or a
// compromised renderer) can send on these channels.

const { isBackendUrl } = require('./origin');

const CHANNELS = Object.freeze({
  openAppDataFolder: 'desktop:open-app-data-folder',
  openLogsFolder: 'desktop:open-logs-folder',
});

/**
 * Trusted means: the top frame of one of our windows, currently showing the backend origin.
 * Subframes and other origins are refused even inside our own window.
 */
function isTrustedSender(event, { backend, trustedWebContentsIds }) {
  const frame = event && event.senderFrame;
  const sender = event && event.sender;
  if (!frame || !sender) return false;
  if (!trustedWebContentsIds.has(sender.id)) return false;
  if (frame.parent !== null && frame.parent !== undefined) return false;
  return isBackendUrl(frame.url, backend);
}

/**
 * @param ipcMain  Electron's ipcMain
 * @param {{isTrusted: (event) => boolean, actions: {openAppDataFolder: Function, openLogsFolder: Function}, log}} options
 */
function registerIpcHandlers(ipcMain, { isTrusted, actions, log }) {
  for (const [action, channel] of Object.entries(CHANNELS)) {
    ipcMain.handle(channel, async (event) => {
      if (!isTrusted(event)) {
        log.warn(`refused ${channel} from an untrusted sender (${event.senderFrame && event.senderFrame.url})`);
        throw new Error('not allowed');
      }
      await actions[action]();
      return true;
    });
  }
}

module.exports = { CHANNELS, isTrustedSender, registerIpcHandlers };
