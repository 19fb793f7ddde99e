'use strict';
// The health gate of a backend update (docs/backend-updates.md, section 3): a slot on trial is
// confirmed only once, after its ready line, `GET /health/` answers 200 to the session token
// and the task worker has started and is still running, within a deadline. Anything less and
// the shell rolls back.
//
// "The worker has started" means more than a live pid: the worker records itself in
// `<app data>/worker.owner.json` once it has imported the project and holds the worker lock,
// so a new version whose code fails to import is caught here, not minutes later. The Tauri
// supervisor's gate (shells/tauri/supervisor/src/gate.rs) reads the same record.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { TOKEN_HEADER } = require('./auth-header');

// The worker imports Django and the project first; on a loaded machine that takes seconds.
const GATE_DEADLINE_MS = 20_000;
const POLL_MS = 200;
const REQUEST_TIMEOUT_MS = 2_000;
const WORKER_OWNER_FILE = 'worker.owner.json';

/** The status code of `GET /health/` with the token, or null when nothing answered. */
function healthStatus(origin, token) {
  return new Promise((resolve) => {
    const request = http.get(`${origin}/health/`, { headers: { [TOKEN_HEADER]: token }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

/** True when the worker that recorded itself in app data is the one we started (`pid`). */
function workerHasStarted(appDataDir, pid) {
  if (!pid) return false;
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(appDataDir, WORKER_OWNER_FILE), 'utf8'));
    return owner !== null && owner.pid === pid;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolve once the backend is healthy and its worker started; reject with an Error naming what
 * was still missing at the deadline, or that the web server exited.
 * @param {{origin: string, token: string, appDataDir: string, workerPid: () => number|null,
 *          serveExited: () => boolean, deadlineMs?: number, pollMs?: number}} options
 */
async function passHealthGate({ origin, token, appDataDir, workerPid, serveExited, deadlineMs = GATE_DEADLINE_MS, pollMs = POLL_MS }) {
  const until = Date.now() + deadlineMs;
  let healthy = false;
  let lastStatus = null;
  for (;;) {
    if (serveExited()) throw new Error('the web server exited during the trial');
    if (!healthy) {
      lastStatus = await healthStatus(origin, token);
      healthy = lastStatus === 200;
    }
    // Checked every round: a worker that started and then died is not a started worker.
    const workerStarted = workerHasStarted(appDataDir, workerPid());
    if (healthy && workerStarted) return;
    if (Date.now() >= until) {
      const missing = [];
      if (!healthy) missing.push(lastStatus === null ? '/health/ answered nothing' : `/health/ answered HTTP ${lastStatus}`);
      if (!workerStarted) missing.push('the task worker did not start');
      throw new Error(`not healthy within ${Number((deadlineMs / 1000).toFixed(1))} s: ${missing.join('; ')}`);
    }
    await sleep(pollMs);
  }
}

module.exports = { GATE_DEADLINE_MS, WORKER_OWNER_FILE, healthStatus, passHealthGate, workerHasStarted };
