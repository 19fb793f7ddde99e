'use strict';
// Start the backend from the slot the resolution rule names (docs/backend-updates.md,
// section 3). A slot on trial must pass the health gate (health-gate.js) and is then
// confirmed; if it fails in any way (an error line, a crash, no ready line, the gate's
// deadline, a failed confirm), its serve and worker are stopped, the rule is asked again and
// the slot it names starts. That slot's serve puts the database back from the trial's backup
// and says so in its ready line (`rolledBack`), which becomes the one sentence the user sees.
//
// No `electron` import: the tests run this under plain Node against the real stage.

const path = require('node:path');

const { BackendSupervisor, newSessionToken } = require('./backend');
const { confirmTrial } = require('./backend-update');
const { GATE_DEADLINE_MS, passHealthGate } = require('./health-gate');
const { planForSlot } = require('./launch-plan');

class StartCancelled extends Error {
  constructor() {
    super('the start was cancelled (the app is quitting)');
    this.name = 'StartCancelled';
  }
}

const quietLog = { info() {}, warn() {}, error() {}, output() {} };

/**
 * @param {object} options
 * @param {object} options.factoryPlan  resolveLaunchPlan's plan (the stage inside the app)
 * @param {string} options.appDataDir
 * @param {(supervisor: BackendSupervisor) => void} [options.track]  called with every
 *   supervisor as it is created, so a quit during the start can stop it
 * @param {() => boolean} [options.cancelled]  true once the app is quitting: no rollback start
 * @param {object} [options.supervisorOptions]  passed to BackendSupervisor (timeouts, baseEnv)
 * @returns {Promise<{supervisor, plan, token, backend, rolledBack, trialFailure, confirmed}>}
 *   rolledBack: the ready line's report (or the shell's own, when serve gave none) when this
 *   backend replaced a failed one; trialFailure: why the trial failed, when it failed now;
 *   confirmed: the confirm command's answer when a trial passed now.
 */
async function startBackend({
  factoryPlan,
  appDataDir,
  log = quietLog,
  track = () => {},
  cancelled = () => false,
  gateDeadlineMs = GATE_DEADLINE_MS,
  supervisorOptions = {},
}) {
  async function startSlot(plan) {
    if (cancelled()) throw new StartCancelled();
    const token = newSessionToken();
    const supervisor = new BackendSupervisor({ plan, appDataDir, token, log, ...supervisorOptions });
    track(supervisor);
    const ready = await supervisor.startServe();
    supervisor.startWorker();
    return { supervisor, plan, token, backend: ready.backend, rolledBack: ready.rolledBack };
  }

  let plan;
  try {
    plan = planForSlot(factoryPlan, appDataDir);
  } catch (error) {
    // A slot the rule named but whose manifest cannot be read: the installed backend still can.
    log.error(`the backend update slot is not usable, starting the installed backend: ${error.message}`);
    plan = factoryPlan;
  }
  if (plan.slot) log.info(`backend slot ${plan.slot} (${plan.slotMode}: ${plan.slotReason})`);
  if (plan.slotMode !== 'trial') {
    return { ...(await startSlot(plan)), trialFailure: null, confirmed: null };
  }

  let started = null;
  let serveExited = false;
  let confirmed;
  try {
    started = await startSlot(plan);
    started.supervisor.on('child-exit', ({ role }) => {
      if (role === 'serve') serveExited = true;
    });
    await passHealthGate({
      origin: started.backend.origin,
      token: started.token,
      appDataDir,
      workerPid: () => started.supervisor.pids().worker,
      serveExited: () => serveExited,
    });
    confirmed = await confirmTrial(plan, appDataDir).catch((error) => {
      throw new Error(`the slot could not be confirmed: ${error.message}`);
    });
    if (serveExited) throw new Error('the web server exited during the trial');
  } catch (failure) {
    if (started) await started.supervisor.stop();
    if (failure instanceof StartCancelled || cancelled()) throw failure;
    log.error(`backend ${plan.slot} failed its trial: ${failure.message}`);
    return rollBack(plan, failure);
  }
  log.info(`backend ${plan.slot} passed its trial and is confirmed`);
  return { ...started, trialFailure: null, confirmed };

  async function rollBack(failedPlan, failure) {
    const back = planForSlot(factoryPlan, appDataDir, { afterFailedTrial: true });
    log.warn(`rolling back to ${back.slot} (${back.slotMode}: ${back.slotReason})`);
    const restarted = await startSlot(back);
    // Normally serve reports it; the shell knows enough to say it anyway.
    const rolledBack = restarted.rolledBack || {
      from: failedPlan.slot,
      to: back.appVersion,
      log: path.join(appDataDir, 'logs', 'serve.log'),
      keptDatabase: null,
    };
    return { ...restarted, rolledBack, trialFailure: failure.message, confirmed: null };
  }
}

module.exports = { StartCancelled, startBackend };
