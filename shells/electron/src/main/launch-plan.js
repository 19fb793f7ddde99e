'use strict';
// Which interpreter and argv start the backend, in each of the shell's three modes.
//
// - packaged: only `<resources>/backend/runtime-manifest.json`, validated. Nothing from the
//   environment can redirect a shipped app to another interpreter.
// - staged (`nox -s dev-electron -- --staged`): the same manifest code path against
//   `.stage/backend`, so a developer runs exactly what will ship.
// - dev (`nox -s dev-electron`): the nox venv's Python with the dev settings module, so edits
//   to the backend source show up on the next start without re-staging.

const path = require('node:path');

const { FACTORY, chooseSlot, completeSlots, fallbackSlot, parseState, readState, slotDir } = require('./backend-slots');
const manifest = require('./manifest');
const { REPO_ROOT, stageDir } = require('./stage-location');

const DEFAULT_DEV_MODULE = 'flying_stable.desktop';
const DEFAULT_DEV_SETTINGS = 'flying_stable.settings.dev';

class LaunchPlanError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LaunchPlanError';
  }
}

function planFromStage(stageDir, mode, options = {}) {
  const stage = manifest.load(stageDir, options);
  const serve = stage.launch('serve');
  const worker = stage.launch('worker');
  return {
    mode,
    executable: serve.executable,
    serveArgs: serve.args,
    workerArgs: worker.args,
    cwd: stageDir,
    env: {},
    stageDir,
    // The installed app's own stage: serve applies the slot rule itself against it.
    factoryStageDir: stageDir,
    factoryVersion: stage.appVersion,
    appVersion: stage.appVersion,
    slot: FACTORY,
    slotMode: 'normal',
    slotReason: null,
  };
}

/**
 * The plan for the slot the resolution rule names (docs/backend-updates.md, section 2): the
 * factory plan itself, or the same mode started from `<app data>/stages/<version>/` with that
 * slot's interpreter and argv. A dev plan has no stage and so no slots.
 * @param {object} factoryPlan  resolveLaunchPlan's plan
 * @param {string} appDataDir   the folder holding `stages/`
 * @param {{afterFailedTrial?: boolean}} [options]  afterFailedTrial: a trial just failed. When
 *   the rule still says trial (the new interpreter died before serve counted its start), the
 *   plan is the fallback slot with DESKTOP_DJANGO_ROLLBACK=1, which tells its serve so.
 */
function planForSlot(factoryPlan, appDataDir, { afterFailedTrial = false } = {}) {
  if (!factoryPlan.stageDir) return factoryPlan;
  const { factoryStageDir: factoryDir, factoryVersion } = factoryPlan;
  let choice = chooseSlot({ factoryDir, factoryVersion, appDataDir });
  let env = { ...factoryPlan.env };
  if (afterFailedTrial && choice.mode === 'trial') {
    const state = parseState(readState(appDataDir));
    const slot = state ? fallbackSlot(state, completeSlots(appDataDir), factoryVersion) : FACTORY;
    choice = { slot, mode: 'rollback', reason: 'trial-failed', stageDir: slotDir(slot, { factoryDir, appDataDir }) };
    env = { ...env, DESKTOP_DJANGO_ROLLBACK: '1' };
  }
  const plan = choice.slot === FACTORY ? { ...factoryPlan } : planFromStage(choice.stageDir, factoryPlan.mode);
  plan.factoryStageDir = factoryDir;
  plan.factoryVersion = factoryVersion;
  plan.slot = choice.slot;
  plan.slotMode = choice.mode;
  plan.slotReason = choice.reason;
  plan.env = env;
  return plan;
}

function devPlan(env, repoRoot) {
  const python = (env.DESKTOP_DJANGO_DEV_PYTHON || '').trim();
  if (!python) {
    throw new LaunchPlanError(
      'dev mode needs DESKTOP_DJANGO_DEV_PYTHON (the interpreter with the backend installed): ' +
        'start the shell with `nox -s dev-electron`',
    );
  }
  const module = (env.DESKTOP_DJANGO_DEV_MODULE || DEFAULT_DEV_MODULE).trim();
  return {
    mode: 'dev',
    executable: python,
    serveArgs: ['-m', module, 'serve'],
    workerArgs: ['-m', module, 'worker'],
    cwd: repoRoot,
    // The dev settings serve static files from the app folders (WhiteNoise finders), so no
    // collected bundle is needed; they still enforce the token because the shell sets one.
    env: { DJANGO_SETTINGS_MODULE: env.DESKTOP_DJANGO_DEV_SETTINGS || DEFAULT_DEV_SETTINGS },
    stageDir: null,
    factoryStageDir: null,
    factoryVersion: null,
    appVersion: null,
    slot: null,
    slotMode: 'normal',
    slotReason: null,
  };
}

/**
 * @param {{isPackaged: boolean, resourcesPath?: string, env?: object, repoRoot?: string}} context
 */
function resolveLaunchPlan({ isPackaged, resourcesPath, env = process.env, repoRoot = REPO_ROOT }) {
  if (isPackaged) {
    return planFromStage(path.join(resourcesPath, 'backend'), 'packaged');
  }
  const mode = (env.DESKTOP_DJANGO_ELECTRON_MODE || 'dev').trim();
  if (mode === 'staged') {
    return planFromStage(stageDir(env, repoRoot), 'staged');
  }
  if (mode === 'dev') return devPlan(env, repoRoot);
  throw new LaunchPlanError(
    `DESKTOP_DJANGO_ELECTRON_MODE must be "dev" or "staged", not ${JSON.stringify(mode)}`,
  );
}

module.exports = { LaunchPlanError, REPO_ROOT, planForSlot, planFromStage, resolveLaunchPlan };
