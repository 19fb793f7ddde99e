'use strict';
// Where the tests find the repo, the shared manifest vectors and the staged backend (the
// shell's own rule: src/main/stage-location.js).

const path = require('node:path');

const { REPO_ROOT, stageDir } = require('../../src/main/stage-location');

const SHELL_DIR = path.resolve(__dirname, '..', '..');
const VECTORS_DIR = path.join(REPO_ROOT, 'tests', 'stage', 'vectors');

module.exports = { REPO_ROOT, SHELL_DIR, VECTORS_DIR, stageDir };
