'use strict';
// electron-dist-standin: a folder shaped like an unpacked Electron Linux distribution, for
// packaging LAYOUT checks only (test/packaging/, `nox -s package -- electron --layout-only`),
// on machines where the Electron binary cannot be downloaded.
//
// Its `electron` is a shell script that refuses to run. What it does carry is the fuse wire
// format @electron/fuses looks for in a real binary: the sentinel string, a version byte, a
// length byte, then one byte per fuse ('0' off, '1' on) at Electron's defaults. So the test
// proves that electron-builder ran the fuse step on the packaged executable with our
// configuration; it cannot prove that a real Electron honours the fuses (Electron's own tests
// do that), and nothing built from this stand-in can be shipped or launched. Its marker file
// travels into every package built from it, and builder-config.js names those packages
// `...-layout-only-...` when it sees the marker, so a rehearsal never looks like a release.

const fs = require('node:fs');
const path = require('node:path');

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'; // @electron/fuses' marker in the binary
// Electron's defaults, in FuseV1Options order: RunAsNode, EnableCookieEncryption,
// EnableNodeOptionsEnvironmentVariable, EnableNodeCliInspectArguments,
// EnableEmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar,
// LoadBrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges.
const DEFAULT_WIRE = '10110001';
const MARKER = 'ELECTRON-DIST-STANDIN.txt';

function isElectronDistStandin(dir) {
  return fs.existsSync(path.join(dir, MARKER));
}

function createElectronDistStandin(parentDir, electronVersion) {
  const dir = path.join(parentDir, 'electron-dist-standin');
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'locales'), { recursive: true });
  const script = Buffer.concat([
    Buffer.from(
      '#!/bin/sh\n' +
        '# electron-dist-standin: NOT an Electron binary. Packaging layout tests only.\n' +
        'echo "electron-dist-standin: this is not a real Electron binary" >&2\n' +
        'exit 1\n' +
        `# ${SENTINEL}`,
    ),
    Buffer.from([1, DEFAULT_WIRE.length]),
    Buffer.from(`${DEFAULT_WIRE}\n`),
  ]);
  fs.writeFileSync(path.join(dir, 'electron'), script, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'version'), `${electronVersion}`);
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'electron-dist-standin: no Electron code is included.\n');
  fs.writeFileSync(
    path.join(dir, MARKER),
    'A stand-in for an unpacked Electron: a layout-only rehearsal, not an app. Nothing built from it runs.\n',
  );
  fs.writeFileSync(path.join(dir, 'locales', 'en-US.pak'), '');
  return dir;
}

module.exports = { DEFAULT_WIRE, MARKER, SENTINEL, createElectronDistStandin, isElectronDistStandin };

// `node packaging/electron-dist-standin.js <parent dir>` (used by `nox -s package -- electron
// --layout-only`): prints the stand-in's path.
if (require.main === module) {
  const parent = process.argv[2];
  if (!parent) {
    process.stderr.write('usage: node packaging/electron-dist-standin.js <parent dir>\n');
    process.exit(2);
  }
  fs.mkdirSync(parent, { recursive: true });
  process.stdout.write(`${createElectronDistStandin(parent, require('electron/package.json').version)}\n`);
}
