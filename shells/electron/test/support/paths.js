'use strict';
// Where the tests find the repo, the shared manifest vectors and the staged backend.

const path = require('node:path');

const SHELL_DIR = path.resolve(__dirname, '..', '..');
const REPO_ROOT = path.resolve(SHELL_DIR, '..', '..');
const VECTORS_DIR = path.join(REPO_ROOT, 'tests', 'stage', 'vectors');

function stageDir() {
  return path.resolve(process.env.DESKTOP_DJANGO_STAGE_DIR || path.join(REPO_ROOT, '.stage', 'backend'));
}

module.exports = { REPO_ROOT, SHELL_DIR, VECTORS_DIR, stageDir };
