'use strict';
// The supervision module against the real staged backend (.stage/backend or
// DESKTOP_DJANGO_STAGE_DIR), under plain Node: what the Electron shell does at start and
// quit, minus the window. Skips locally without a stage; fails under CI=true.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { test } = require('node:test');

const { TOKEN_HEADER } = require('../../src/main/auth-header');
const { BackendSupervisor, newSessionToken } = require('../../src/main/backend');
const { exportDiagnostics } = require('../../src/main/diagnostics');
const { planFromStage } = require('../../src/main/launch-plan');
const { descendants, groupMembers, isAlive, waitUntil } = require('../support/processes');
const { requireStage } = require('../support/requirements');
const { makeTempDir } = require('../support/temp');

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'supervise-and-wait.js');

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`timeout: ${url}`)));
  });
}

function tree(pids) {
  const all = new Set();
  for (const pid of pids.filter(Boolean)) {
    all.add(pid);
    for (const other of descendants(pid)) all.add(other);
    for (const other of groupMembers(pid)) all.add(other);
  }
  return [...all];
}

test('start serve and worker from the stage, authenticate, stop, and leave nothing behind', { timeout: 120_000 }, async (t) => {
  const stageDir = requireStage(t);
  if (!stageDir) return;
  const appDataDir = makeTempDir('electron-integration-');
  const token = newSessionToken();
  const lines = [];
  const log = { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l), output: () => {} };
  const supervisor = new BackendSupervisor({ plan: planFromStage(stageDir, 'staged'), appDataDir, token, log });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await supervisor.stop();
  });

  const { backend } = await supervisor.startServe();
  assert.match(backend.origin, /^http:\/\/127\.0\.0\.1:\d+$/);

  const withToken = await get(`${backend.origin}/health/`, { [TOKEN_HEADER]: token });
  assert.equal(withToken.status, 200, withToken.body);
  const without = await get(`${backend.origin}/health/`);
  assert.equal(without.status, 403);
  const wrong = await get(`${backend.origin}/health/`, { [TOKEN_HEADER]: newSessionToken() });
  assert.equal(wrong.status, 403);

  const worker = supervisor.startWorker();
  // Give the worker time to import Django and enter its loop: it must still be there after.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.ok(isAlive(worker.pid), 'the worker exited on its own');

  const everything = tree([supervisor.pids().serve, supervisor.pids().worker]);
  assert.ok(everything.length >= 2);
  const started = Date.now();
  await supervisor.stop();
  stopped = true;
  const elapsed = Date.now() - started;
  const left = everything.filter(isAlive);
  assert.deepEqual(left, [], `still running after stop: ${left.join(', ')}`);
  // stdin EOF is enough: the grace period (3 s) should not have been needed.
  assert.ok(elapsed < 3000, `stop took ${elapsed} ms`);
  assert.ok(fs.existsSync(path.join(appDataDir, 'logs', 'serve.log')), 'serve.log was not written');
  assert.ok(fs.existsSync(path.join(appDataDir, 'app.sqlite3')), 'the database was not created in app data');
});

test('when the Node parent is SIGKILLed, serve and worker exit by themselves within 2 s', { timeout: 120_000 }, async (t) => {
  const stageDir = requireStage(t);
  if (!stageDir) return;
  const appDataDir = makeTempDir('electron-orphan-');
  const parent = spawn(process.execPath, [FIXTURE, stageDir, appDataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  parent.stderr.on('data', (chunk) => { stderr += chunk; });
  let pids;
  t.after(() => {
    // Whatever happens, do not leak processes into the rest of the suite.
    for (const pid of [pids && pids.serve, pids && pids.worker]) {
      if (pid && isAlive(pid)) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
  pids = await new Promise((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    parent.on('exit', (code) => reject(new Error(`the supervising parent exited (${code}): ${stderr}`)));
  });
  assert.ok(isAlive(pids.serve) && isAlive(pids.worker));
  const everything = tree([pids.serve, pids.worker]);

  parent.kill('SIGKILL');
  const killedAt = Date.now();
  const gone = await waitUntil(() => everything.every((pid) => !isAlive(pid)), { timeoutMs: 2000, intervalMs: 20 });
  const left = everything.filter(isAlive);
  assert.ok(gone, `still running ${Date.now() - killedAt} ms after the parent was killed: ${left.join(', ')}`);
});

test('Export Diagnostics runs the staged launcher and writes a zip without the token', { timeout: 120_000 }, async (t) => {
  const stageDir = requireStage(t);
  if (!stageDir) return;
  const appDataDir = makeTempDir('electron-diagnostics-');
  const token = newSessionToken();
  const log = { info: () => {}, warn: () => {}, error: () => {}, output: () => {} };
  const supervisor = new BackendSupervisor({ plan: planFromStage(stageDir, 'staged'), appDataDir, token, log });
  await supervisor.startServe();
  await supervisor.stop();
  const zipPath = path.join(appDataDir, 'support.zip');
  const written = await exportDiagnostics(planFromStage(stageDir, 'staged'), supervisor.env, zipPath);
  assert.equal(written, zipPath);
  const bytes = fs.readFileSync(zipPath);
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(!bytes.includes(Buffer.from(token)), 'the session token is in the zip');
});
