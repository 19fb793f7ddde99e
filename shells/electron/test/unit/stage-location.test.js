'use strict';
// The one rule for "where is the stage?" in JavaScript (src/main/stage-location.js), the
// same as desktop_django_tools/locations.py.

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');

const { REPO_ROOT, stageDir } = require('../../src/main/stage-location');

test('DESKTOP_DJANGO_STAGE_DIR wins, made absolute', () => {
  assert.equal(stageDir({ DESKTOP_DJANGO_STAGE_DIR: '/elsewhere/stage' }), path.resolve('/elsewhere/stage'));
  assert.equal(stageDir({ DESKTOP_DJANGO_STAGE_DIR: 'relative/stage' }), path.resolve('relative/stage'));
});

test('unset or blank: <repo>/.stage/backend', () => {
  assert.equal(stageDir({}), path.join(REPO_ROOT, '.stage', 'backend'));
  assert.equal(stageDir({ DESKTOP_DJANGO_STAGE_DIR: '  ' }), path.join(REPO_ROOT, '.stage', 'backend'));
  assert.equal(stageDir({}, '/some/repo'), path.resolve('/some/repo/.stage/backend'));
});

test('REPO_ROOT is this workspace (it holds the shells)', () => {
  assert.equal(path.join(REPO_ROOT, 'shells', 'electron'), path.resolve(__dirname, '..', '..'));
});
