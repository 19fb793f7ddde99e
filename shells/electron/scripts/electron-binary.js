'use strict';
// Find the Electron binary npm installed, downloading it once if it is missing, and say
// plainly why when that is impossible. `npm ci` runs with ELECTRON_SKIP_BINARY_DOWNLOAD=1 so
// that tests and packaging work offline; only the commands that launch Electron come here.
//
// Printed on success: the binary's path. On failure: one line of reason, exit code 1.
// ELECTRON_OVERRIDE_DIST_PATH (the electron package's own switch) points at an unpacked
// Electron elsewhere; ELECTRON_MIRROR at a reachable download mirror.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function electronPackageDir() {
  return path.dirname(require.resolve('electron/package.json'));
}

function installedBinary(packageDir = electronPackageDir()) {
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const binary = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
    return fs.existsSync(binary) ? binary : null;
  }
  if (!relative) return null;
  const binary = path.join(packageDir, 'dist', relative);
  return fs.existsSync(binary) ? binary : null;
}

/** @returns {{binary: string} | {reason: string}} */
function findElectronBinary({ download = true } = {}) {
  let packageDir;
  try {
    packageDir = electronPackageDir();
  } catch {
    return { reason: 'the electron npm package is not installed (run npm ci in shells/electron)' };
  }
  const found = installedBinary(packageDir);
  if (found) return { binary: found };
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    return { reason: `ELECTRON_OVERRIDE_DIST_PATH=${process.env.ELECTRON_OVERRIDE_DIST_PATH} holds no Electron binary` };
  }
  if (!download) return { reason: 'the Electron binary is not installed' };
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const run = spawnSync(process.execPath, [path.join(packageDir, 'install.js')], { env, encoding: 'utf8', timeout: 600_000 });
  const again = installedBinary(packageDir);
  if (run.status === 0 && again) return { binary: again };
  const lines = `${run.stderr || ''}\n${run.stdout || ''}`.split('\n').map((line) => line.trim()).filter(Boolean);
  const cause = lines.find((line) => /error|fail|ENOTFOUND|ECONN|EAI_AGAIN|status/i.test(line)) || lines[0] || `exit ${run.status}`;
  const version = require(path.join(packageDir, 'package.json')).version;
  const source = process.env.ELECTRON_MIRROR ? `from the mirror ${process.env.ELECTRON_MIRROR}` : 'from GitHub, unless ELECTRON_MIRROR names a mirror';
  return { reason: `the Electron ${version} binary download failed (${cause}; it comes ${source})` };
}

if (require.main === module) {
  const result = findElectronBinary();
  if (result.binary) {
    process.stdout.write(`${result.binary}\n`);
  } else {
    process.stderr.write(`${result.reason}\n`);
    process.exitCode = 1;
  }
}

module.exports = { findElectronBinary };
