'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');

const { COMPLETE_MARKER } = require('../../src/main/backend-slots');
const { LaunchPlanError, planForSlot, resolveLaunchPlan } = require('../../src/main/launch-plan');
const { currentPlatform } = require('../../src/main/manifest');
const { VECTORS_DIR } = require('../support/paths');
const { makeTempDir } = require('../support/temp');

function makeStage(root, { executable = 'python/bin/python3', version = null } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, 'valid', 'minimal-linux.json'), 'utf8'));
  if (version) manifest.app.version = version;
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
    factoryStageDir: null,
    factoryVersion: null,
    appVersion: null,
    slot: null,
    slotMode: 'normal',
    slotReason: null,
  });
});

test('dev without an interpreter says how to start the shell', () => {
  assert.throws(() => resolveLaunchPlan({ isPackaged: false, env: {} }), (error) =>
    error instanceof LaunchPlanError && /nox -s dev-electron/.test(error.message));
});

test('an unknown mode is refused', () => {
  assert.throws(() => resolveLaunchPlan({ isPackaged: false, env: { DESKTOP_DJANGO_ELECTRON_MODE: 'prod' } }), LaunchPlanError);
});

describe('the slot plan (docs/backend-updates.md, section 3)', () => {
  // A factory stage at 0.1.0 and an installed, complete slot 0.2.0 in app data.
  function installedApp() {
    const root = tmp();
    const resources = path.join(root, 'resources');
    const factory = makeStage(path.join(resources, 'backend'));
    const appData = path.join(root, 'data');
    const slot = makeStage(path.join(appData, 'stages', '0.2.0'), { version: '0.2.0' });
    fs.writeFileSync(path.join(slot, COMPLETE_MARKER), '');
    const writeState = (state) =>
      fs.writeFileSync(path.join(appData, 'stages', 'state.json'), JSON.stringify({
        schemaVersion: 1, previous: 'factory', attempts: 0, trialBackup: null, highestGood: null, bad: [], ...state,
      }));
    const factoryPlan = resolveLaunchPlan({ isPackaged: true, resourcesPath: resources, env: {} });
    return { factory, appData, slot, writeState, factoryPlan };
  }

  test('no state file: the factory stage, unchanged, with itself as the factory', () => {
    const { factory, appData, factoryPlan } = installedApp();
    const plan = planForSlot(factoryPlan, appData);
    assert.equal(plan.stageDir, factory);
    assert.equal(plan.factoryStageDir, factory);
    assert.deepEqual([plan.slot, plan.slotMode, plan.slotReason], ['factory', 'normal', 'no-state']);
    assert.deepEqual(plan.env, {});
  });

  test('a trial slot: its own interpreter and cwd, the factory stage beside it', () => {
    const { factory, appData, slot, writeState, factoryPlan } = installedApp();
    writeState({ active: '0.2.0', status: 'trial' });
    const plan = planForSlot(factoryPlan, appData);
    assert.equal(plan.executable, path.join(slot, 'python', 'bin', 'python3'));
    assert.equal(plan.cwd, slot);
    assert.equal(plan.stageDir, slot);
    assert.equal(plan.factoryStageDir, factory);
    assert.equal(plan.appVersion, '0.2.0');
    assert.equal(plan.factoryVersion, '0.1.0');
    assert.deepEqual([plan.slot, plan.slotMode, plan.mode], ['0.2.0', 'trial', 'packaged']);
  });

  test('an unconfirmed trial resolves to the fallback; serve counts that itself, no flag', () => {
    const { factory, appData, writeState, factoryPlan } = installedApp();
    writeState({ active: '0.2.0', status: 'trial', attempts: 1 });
    for (const afterFailedTrial of [false, true]) {
      const plan = planForSlot(factoryPlan, appData, { afterFailedTrial });
      assert.deepEqual([plan.stageDir, plan.slotMode, plan.slotReason], [factory, 'rollback', 'trial-unconfirmed']);
      assert.deepEqual(plan.env, {});
    }
  });

  test('a trial that failed before serve counted it: the fallback, told with DESKTOP_DJANGO_ROLLBACK=1', () => {
    const { factory, appData, writeState, factoryPlan } = installedApp();
    writeState({ active: '0.2.0', status: 'trial', attempts: 0 });
    const plan = planForSlot(factoryPlan, appData, { afterFailedTrial: true });
    assert.deepEqual([plan.slot, plan.stageDir, plan.slotMode, plan.slotReason], ['factory', factory, 'rollback', 'trial-failed']);
    assert.deepEqual(plan.env, { DESKTOP_DJANGO_ROLLBACK: '1' });
  });

  test('a dev plan has no stage and so no slots', () => {
    const dev = resolveLaunchPlan({ isPackaged: false, repoRoot: '/repo', env: { DESKTOP_DJANGO_DEV_PYTHON: '/venv/bin/python' } });
    assert.equal(planForSlot(dev, tmp()), dev);
  });
});
