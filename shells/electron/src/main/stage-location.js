'use strict';
// Where the staged backend is, for every unpackaged use of it (staged mode, packaging, the
// tests): `$DESKTOP_DJANGO_STAGE_DIR` when set, else `<repo>/.stage/backend`. The Python
// tools answer with the same rule in desktop_django_tools/locations.py. A packaged app never
// asks: it reads only `<resources>/backend` (launch-plan.js).

const path = require('node:path');

const STAGE_DIR_VARIABLE = 'DESKTOP_DJANGO_STAGE_DIR';
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * @param {object} [env]        the environment to read the variable from
 * @param {string} [repoRoot]   the workspace whose `.stage/backend` is the default
 * @returns {string} an absolute path
 */
function stageDir(env = process.env, repoRoot = REPO_ROOT) {
  const configured = (env[STAGE_DIR_VARIABLE] || '').trim();
  return path.resolve(configured || path.join(repoRoot, '.stage', 'backend'));
}

module.exports = { REPO_ROOT, STAGE_DIR_VARIABLE, stageDir };
