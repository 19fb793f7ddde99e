'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { LaunchPlanError, resolveLaunchPlan } = require('../../src/main/launch-plan');
const { currentPlatform } = require('../../src/main/manifest');
const { VECTORS_DIR } = require('../support/paths');
const { makeTempDir } = require('../support/temp');

function makeStage(root, { executable = 'python/bin/python3' } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, 'valid', 'minimal-linux.json'), 'utf8'));
  manifest.python = { ...manifest.python, platform: currentPlatform(), executable };
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'runtime-manifest.json'), JSON.stringify(manifest));
  const interpreter = path.join(root, ...executable.split('/'));
  fs.mkdirSync(path.dirname(interpreter), { recursive: true });
  fs.writeFileSync(interpreter, '');
  return root;
}

const tmp = () => makeTempDir('plan-');

test('packaged: the interpreter and argv come only from resources/backend/runtime-manifest.json', () => {
  const resources = tmp();
  const bundle = makeStage(path.join(resources, 'backend'));
  const hostile = {
    DESKTOP_DJANGO_ELECTRON_MODE: 'dev',
    DESKTOP_DJANGO_DEV_PYTHON: '/usr/bin/evil',
    DESKTOP_DJANGO_STAGE_DIR: '/elsewhere',
  };
  const plan = resolveLaunchPlan({ isPackaged: true, resourcesPath: resources, env: hostile });
  assert.equal(plan.mode, 'packaged');
  assert.equal(plan.executable, path.join(bundle, 'python', 'bin', 'python3'));
  assert.deepEqual(plan.serveArgs, ['-I', '-m', 'flying_stable.desktop', 'serve']);
  assert.deepEqual(plan.workerArgs, ['-I', '-m', 'flying_stable.desktop', 'worker']);
  assert.equal(plan.stageDir, bundle);
  assert.equal(plan.cwd, bundle);
  assert.deepEqual(plan.env, {});
});

test('packaged with a broken manifest fails naming the file and field', () => {
  const resources = tmp();
  const bundle = makeStage(path.join(resources, 'backend'));
  const file = path.join(bundle, 'runtime-manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete manifest.launcher.worker;
  fs.writeFileSync(file, JSON.stringify(manifest));
  assert.throws(() => resolveLaunchPlan({ isPackaged: true, resourcesPath: resources, env: {} }), (error) => {
    assert.equal(error.field, 'launcher.worker');
    assert.ok(error.message.includes(file));
    return true;
  });
});

test('staged: the same manifest path against DESKTOP_DJANGO_STAGE_DIR or <repo>/.stage/backend', () => {
  const stage = makeStage(path.join(tmp(), 'stage'));
  const plan = resolveLaunchPlan({ isPackaged: false, env: { DESKTOP_DJANGO_ELECTRON_MODE: 'staged', DESKTOP_DJANGO_STAGE_DIR: stage } });
  assert.equal(plan.mode, 'staged');
  assert.equal(plan.stageDir, stage);

  const repo = tmp();
  makeStage(path.join(repo, '.stage', 'backend'));
  const fallback = resolveLaunchPlan({ isPackaged: false, repoRoot: repo, env: { DESKTOP_DJANGO_ELECTRON_MODE: 'staged' } });
  assert.equal(fallback.stageDir, path.join(repo, '.stage', 'backend'));
});

test('dev: the nox interpreter with the dev settings module, from the repo', () => {
  const plan = resolveLaunchPlan({ isPackaged: false, repoRoot: '/repo', env: { DESKTOP_DJANGO_DEV_PYTHON: '/venv/bin/python' } });
  assert.deepEqual(plan, {
    mode: 'dev',
    executable: '/venv/bin/python',
    serveArgs: ['-m', 'flying_stable.desktop', 'serve'],
    workerArgs: ['-m', 'flying_stable.desktop', 'worker'],
    cwd: '/repo',
    env: { DJANGO_SETTINGS_MODULE: 'flying_stable.settings.dev' },
    stageDir: null,
    appVersion: null,
  });
});

test('dev without an interpreter says how to start the shell', () => {
  assert.throws(() => resolveLaunchPlan({ isPackaged: false, env: {} }), (error) =>
    error instanceof LaunchPlanError && /nox -s dev-electron/.test(error.message));
});

test('an unknown mode is refused', () => {
  assert.throws(() => resolveLaunchPlan({ isPackaged: false, env: { DESKTOP_DJANGO_ELECTRON_MODE: 'prod' } }), LaunchPlanError);
});
