'use strict';
// `--install-backend-update FILE`: Help > Install Backend Update… with FILE instead of the
// picker (an administrator's script, or "Open with" on a .layer file), read from the first
// launch's argv and from a later launch's, which Electron hands over in 'second-instance'.
//
// Chromium rebuilds a second launch's command line with every switch first and the other
// arguments after them, so `--install-backend-update FILE` can arrive with FILE parted from
// its flag; `--install-backend-update=FILE` is one switch and always arrives whole.

const path = require('node:path');

const INSTALL_FLAG = '--install-backend-update';

class InstallArgumentError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InstallArgumentError';
  }
}

/**
 * The layer file `argv` asks to install, absolute (a relative one is taken from `cwd`, the
 * launching process's folder), or null when argv does not ask. Throws InstallArgumentError
 * when the flag has no file.
 * @param {string[]} argv  a process's argv (process.argv, or the one 'second-instance' gives)
 * @param {string} cwd     the folder that process was started in
 */
function layerFromArgv(argv, cwd) {
  const args = Array.isArray(argv) ? argv : [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    let file = null;
    if (arg.startsWith(`${INSTALL_FLAG}=`)) {
      file = arg.slice(INSTALL_FLAG.length + 1);
    } else if (arg === INSTALL_FLAG) {
      const next = args[index + 1];
      file = next !== undefined && !next.startsWith('--') ? next : '';
    } else {
      continue;
    }
    if (!file) {
      throw new InstallArgumentError(`${INSTALL_FLAG} needs the layer file: ${INSTALL_FLAG}=FILE`);
    }
    return path.resolve(cwd, file);
  }
  return null;
}

module.exports = { INSTALL_FLAG, InstallArgumentError, layerFromArgv };
