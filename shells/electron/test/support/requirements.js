'use strict';
// A test that needs something this machine may lack (the staged backend, an Electron binary)
// skips with the reason locally, and fails under CI=true, where a skip would hide a broken
// pipeline. The exceptions are named in unavailable-here.json (beside the pytest rule,
// desktop-django/tests/desktop_django_testing/ci.py) and passed explicitly (`unavailableHere`),
// and print their reason.

const fs = require('node:fs');
const path = require('node:path');

const { REPO_ROOT, stageDir } = require('./paths');

const inCi = () => (process.env.CI || '').toLowerCase() === 'true';

// What this machine kind cannot have at all: the one list, shared with the pytest rule.
const UNAVAILABLE_FILE = path.join(
  REPO_ROOT, 'desktop-django', 'tests', 'desktop_django_testing', 'unavailable-here.json',
);
const UNAVAILABLE_HERE = JSON.parse(fs.readFileSync(UNAVAILABLE_FILE, 'utf8')).unavailable;

function missing(t, reason, { unavailableHere = null } = {}) {
  if (unavailableHere !== null && !(unavailableHere in UNAVAILABLE_HERE)) {
    throw new Error(`"${unavailableHere}" is not in ${UNAVAILABLE_FILE}: ${reason}`);
  }
  if (inCi() && unavailableHere === null) {
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
