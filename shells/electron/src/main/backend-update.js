'use strict';
// The launcher's `backend-update` commands (docs/backend-updates.md, section 3), run with a
// slot's own interpreter like `serve`: `apply FILE` verifies a signed layer and builds the new
// slot (run with the slot that serves now), `confirm` marks the slot on trial good (run with
// that slot), `status` describes the slots. All the data logic is the Python side's; the shell
// runs the command and reads its one JSON line.

const fs = require('node:fs');

const { childEnvironment } = require('./backend');
const { runLauncherCommand } = require('./launcher-command');

/** The environment of a backend-update command for `plan`: serve's, without the token. */
function updateEnvironment(plan, appDataDir, baseEnv = process.env) {
  return childEnvironment(baseEnv, {
    planEnv: plan.env,
    appDataDir,
    token: null,
    stageDir: plan.stageDir,
    factoryStageDir: plan.factoryStageDir,
  });
}

function backendUpdate(plan, appDataDir, args, options = {}) {
  // A rollback flag belongs to the one serve that rolls back, never to these commands.
  const env = updateEnvironment({ ...plan, env: withoutRollback(plan.env) }, appDataDir, options.baseEnv);
  return runLauncherCommand(plan, env, ['backend-update', ...args], options);
}

function withoutRollback(env = {}) {
  const { DESKTOP_DJANGO_ROLLBACK: _ignored, ...rest } = env;
  return rest;
}

/**
 * Resolves when `file` is a file this user can read; else rejects naming it (a path typed on
 * a command line or handed over by "Open with" may be anything).
 */
async function readableLayer(file) {
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      await handle.read(Buffer.alloc(1), 0, 1, 0); // a folder opens on Linux, and fails here
    } finally {
      await handle.close();
    }
  } catch (error) {
    const reason = error.code === 'ENOENT' ? 'there is no such file' : error.message;
    throw new Error(`cannot read the backend update file ${file}: ${reason}; check the path and that this user may read it`);
  }
}

/**
 * Install the layer in `file` on top of the slot `plan` serves; resolves with
 * {version, slot, previous}. The next start puts the new slot on trial.
 */
async function applyLayer(plan, appDataDir, file, options = {}) {
  await readableLayer(file);
  const result = await backendUpdate(plan, appDataDir, ['apply', file], options);
  if (result.event !== 'update-applied' || typeof result.version !== 'string') {
    throw new Error(`the apply command did not report the new version: ${JSON.stringify(result)}`);
  }
  return { version: result.version, slot: result.slot || null, previous: result.previous || null };
}

/** Mark the slot on trial good; `plan` is that slot's. Resolves with {version, removed}. */
async function confirmTrial(plan, appDataDir, options = {}) {
  const result = await backendUpdate(plan, appDataDir, ['confirm'], options);
  if (result.event !== 'update-confirmed') {
    throw new Error(`the confirm command did not report the confirmed slot: ${JSON.stringify(result)}`);
  }
  return { version: result.version || null, removed: Array.isArray(result.removed) ? result.removed : [] };
}

/** The launcher's view of the slots: {resolution, state, slots, factory}. */
function updateStatus(plan, appDataDir, options = {}) {
  return backendUpdate(plan, appDataDir, ['status'], options);
}

module.exports = { applyLayer, confirmTrial, updateEnvironment, updateStatus };
