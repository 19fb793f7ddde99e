'use strict';
// Backend updates in the Electron shell (docs/backend-updates.md, section 3) under plain Node
// against the real staged backend: the health gate on a real serve and worker, and a trial
// slot that cannot start rolled back onto the installed stage, with the one sentence the user
// sees. The window cannot run here; these are the modules index.js wires. Skips locally
// without a stage; fails under CI=true.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { BackendSupervisor, newSessionToken } = require('../../src/main/backend');
const { COMPLETE_MARKER } = require('../../src/main/backend-slots');
const { startBackend } = require('../../src/main/backend-start');
const { passHealthGate } = require('../../src/main/health-gate');
const { planFromStage } = require('../../src/main/launch-plan');
const { rollbackMessage } = require('../../src/main/ready-line');
const { isAlive } = require('../support/processes');
const { requireStage } = require('../support/requirements');
const { makeTempDir } = require('../support/temp');

function recordingLog() {
  const lines = [];
  const keep = (line) => lines.push(line);
  return { lines, log: { info: keep, warn: keep, error: keep, output: () => {} } };
}

test('the health gate passes a real serve and worker, and names what is missing otherwise', { timeout: 120_000 }, async (t) => {
  const stageDir = requireStage(t);
  if (!stageDir) return;
  const appDataDir = makeTempDir('electron-gate-');
  const token = newSessionToken();
  const supervisor = new BackendSupervisor({ plan: planFromStage(stageDir, 'staged'), appDataDir, token });
  t.after(() => supervisor.stop());
  const { backend } = await supervisor.startServe();
  const gate = (options) => passHealthGate({
    origin: backend.origin,
    token,
    appDataDir,
    workerPid: () => supervisor.pids().worker,
    serveExited: () => false,
    ...options,
  });

  // Before the worker runs: healthy, but no started worker.
  await assert.rejects(gate({ deadlineMs: 300 }), /not healthy within 0.3 s: the task worker did not start$/);
  await assert.rejects(gate({ deadlineMs: 300, token: newSessionToken() }), /\/health\/ answered HTTP 403; the task worker did not start/);

  const worker = supervisor.startWorker();
  await gate({});
  assert.ok(isAlive(worker.pid));
  // A worker that is not the one the shell started (its record names another pid) does not count.
  await assert.rejects(gate({ deadlineMs: 300, workerPid: () => worker.pid + 100_000 }), /the task worker did not start/);
});

test('a trial slot whose interpreter dies is rolled back onto the installed stage, with one sentence', { timeout: 120_000 }, async (t) => {
  const stageDir = requireStage(t);
  if (!stageDir) return;
  const factoryManifest = JSON.parse(fs.readFileSync(path.join(stageDir, 'runtime-manifest.json'), 'utf8'));
  const factoryVersion = factoryManifest.app.version;
  const appDataDir = makeTempDir('electron-rollback-');
  // A complete slot 99.0.0 whose "interpreter" exits before serve can count its start: the
  // rule still says trial afterwards, so the shell must tell the fallback's serve itself.
  const slot = path.join(appDataDir, 'stages', '99.0.0');
  const interpreter = path.join(slot, ...factoryManifest.python.executable.split('/'));
  fs.mkdirSync(path.dirname(interpreter), { recursive: true });
  fs.writeFileSync(interpreter, '#!/bin/sh\necho "ImportError: the new backend is broken" >&2\nexit 1\n', { mode: 0o755 });
  const slotManifest = { ...factoryManifest, app: { ...factoryManifest.app, version: '99.0.0' } };
  fs.writeFileSync(path.join(slot, 'runtime-manifest.json'), JSON.stringify(slotManifest));
  fs.writeFileSync(path.join(slot, COMPLETE_MARKER), '');
  const state = { schemaVersion: 1, active: '99.0.0', status: 'trial', previous: 'factory', attempts: 0, trialBackup: null, highestGood: null, bad: [] };
  fs.writeFileSync(path.join(appDataDir, 'stages', 'state.json'), JSON.stringify(state));

  const { lines, log } = recordingLog();
  const started = await startBackend({ factoryPlan: planFromStage(stageDir, 'staged'), appDataDir, log });
  t.after(() => started.supervisor.stop());

  assert.match(started.trialFailure, /exited \(exit code 1\) before it was ready/);
  assert.deepEqual([started.plan.slot, started.plan.slotMode, started.plan.slotReason], ['factory', 'rollback', 'trial-failed']);
  assert.equal(started.plan.env.DESKTOP_DJANGO_ROLLBACK, '1');
  assert.equal(started.plan.cwd, stageDir);
  assert.equal(started.rolledBack.from, '99.0.0');
  assert.equal(started.rolledBack.to, factoryVersion);
  assert.match(rollbackMessage(started.rolledBack), new RegExp(`^Backend 99\\.0\\.0 failed to start; you are back on ${factoryVersion.replace(/\./g, '\\.')}\\. Details: \\S+serve\\.log$`));
  // The installed stage serves, with its worker, and the failed slot's processes are gone.
  await passHealthGate({
    origin: started.backend.origin,
    token: started.token,
    appDataDir,
    workerPid: () => started.supervisor.pids().worker,
    serveExited: () => false,
  });
  // The installed stage's serve, told by DESKTOP_DJANGO_ROLLBACK=1, marked the version bad.
  const after = JSON.parse(fs.readFileSync(path.join(appDataDir, 'stages', 'state.json'), 'utf8'));
  assert.deepEqual([after.active, after.status, after.bad], ['factory', 'good', ['99.0.0']]);
  assert.equal(started.rolledBack.log, path.join(appDataDir, 'logs', 'serve.log'));
  assert.ok(lines.some((line) => /backend 99\.0\.0 failed its trial/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /rolling back to factory \(rollback: trial-failed\)/.test(line)), lines.join('\n'));
});
