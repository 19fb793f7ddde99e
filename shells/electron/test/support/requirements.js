'use strict';
// A test that needs something this machine may lack (the staged backend, an Electron binary)
// skips with the reason locally, and fails under CI=true, where a skip would hide a broken
// pipeline. The one exception is passed explicitly (`skipInCi`), and prints its reason.

const fs = require('node:fs');
const path = require('node:path');

const { stageDir } = require('./paths');

const inCi = () => (process.env.CI || '').toLowerCase() === 'true';

function missing(t, reason, { skipInCi = false } = {}) {
  if (inCi() && !skipInCi) {
    throw new Error(`required under CI=true: ${reason}`);
  }
  console.log(`skipped "${t.name}": ${reason}`);
  t.skip(reason);
}

/** The staged backend folder, or null after skipping (locally) / throwing (CI). */
function requireStage(t) {
  const dir = stageDir();
  if (fs.existsSync(path.join(dir, 'runtime-manifest.json'))) return dir;
  missing(t, `no staged backend at ${dir} (run \`nox -s stage\`, or set DESKTOP_DJANGO_STAGE_DIR)`);
  return null;
}

module.exports = { inCi, missing, requireStage };
