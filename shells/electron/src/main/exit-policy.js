'use strict';
// What to do when a backend child exits. Pure, so every branch is unit-tested.
//
// The web server is the app: if it dies the window is useless, so the user is told (with the
// log path) and the app quits. The worker only runs background routines: it is restarted with
// exponential backoff, a few times, because a crash loop would only fill the log; after that
// the app keeps working without background tasks and says so once.

const MAX_WORKER_RESTARTS = 3;
const FIRST_RESTART_DELAY_MS = 1000;

/**
 * @param {{role: 'serve'|'worker', stopping: boolean, restarts: number}} situation
 * @returns {{action: 'none'} | {action: 'restart', attempt: number, delayMs: number}
 *           | {action: 'give-up'} | {action: 'fatal'}}
 */
function decideOnExit({ role, stopping, restarts }) {
  if (stopping) return { action: 'none' };
  if (role === 'serve') return { action: 'fatal' };
  if (role !== 'worker') throw new Error(`unknown role ${role}`);
  if (restarts >= MAX_WORKER_RESTARTS) return { action: 'give-up' };
  return {
    action: 'restart',
    attempt: restarts + 1,
    delayMs: FIRST_RESTART_DELAY_MS * 2 ** restarts,
  };
}

module.exports = { FIRST_RESTART_DELAY_MS, MAX_WORKER_RESTARTS, decideOnExit };
