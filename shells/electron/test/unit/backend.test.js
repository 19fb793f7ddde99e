'use strict';
// The supervisor against a fake launcher (test/fixtures/fake-launcher.js) that speaks the
// protocol: every start, failure, restart and stop path, in a few seconds. The real staged
// backend runs in test/integration/backend.integration.test.js.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, test } = require('node:test');

const {
  BackendStartError,
  BackendSupervisor,
  childEnvironment,
  newSessionToken,
} = require('../../src/main/backend');
const { decideOnExit } = require('../../src/main/exit-policy');
const { isAlive, waitUntil } = require('../support/processes');
const { makeTempDir } = require('../support/temp');

const FAKE = path.join(__dirname, '..', 'fixtures', 'fake-launcher.js');
const TOKEN = 'cd'.repeat(32);

function fastPolicy(situation) {
  const decision = decideOnExit(situation);
  return decision.action === 'restart' ? { ...decision, delayMs: 20 } : decision;
}

function supervisor(behaviour, { extraEnv = {}, plan: planOverrides = {}, ...options } = {}) {
  const appDataDir = makeTempDir('supervisor-');
  const plan = {
    executable: process.execPath,
    serveArgs: [FAKE, 'serve'],
    workerArgs: [FAKE, 'worker'],
    cwd: appDataDir,
    env: {},
    stageDir: null,
    ...planOverrides,
  };
  return new BackendSupervisor({
    plan,
    appDataDir,
    token: TOKEN,
    baseEnv: { ...process.env, FAKE_BEHAVIOUR: behaviour, ...extraEnv },
    exitPolicy: fastPolicy,
    readyTimeoutMs: 5000,
    stopGraceMs: 500,
    ...options,
  });
}

describe('environment', () => {
  test("the benchmark's timeline file reaches the children; nothing else of ours does", () => {
    const env = childEnvironment(
      { PATH: '/usr/bin', DESKTOP_DJANGO_TIMELINE: '/tmp/timeline.jsonl', DESKTOP_DJANGO_STAGE_DIR: '/elsewhere' },
      { appDataDir: '/data', token: TOKEN },
    );
    assert.equal(env.DESKTOP_DJANGO_TIMELINE, '/tmp/timeline.jsonl');
    assert.equal(env.DESKTOP_DJANGO_STAGE_DIR, undefined);
  });

  test('children get the contract variables and nothing that could redirect the interpreter', () => {
    const env = childEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/home/u',
        PYTHONHOME: '/bad',
        PYTHONPATH: '/bad',
        DJANGO_SETTINGS_MODULE: 'evil.settings',
        DESKTOP_DJANGO_AUTH_TOKEN: 'stale',
        ELECTRON_RUN_AS_NODE: '1',
        NODE_OPTIONS: '--inspect',
      },
      { planEnv: { DJANGO_SETTINGS_MODULE: 'flying_stable.settings.dev' }, appDataDir: '/data', token: TOKEN, stageDir: '/data/stages/0.2.0', factoryStageDir: '/bundle' },
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/u',
      DJANGO_SETTINGS_MODULE: 'flying_stable.settings.dev',
      DESKTOP_DJANGO_APP_DATA_DIR: '/data',
      DESKTOP_DJANGO_AUTH_TOKEN: TOKEN,
      DESKTOP_DJANGO_STAGE_DIR: '/data/stages/0.2.0',
      DESKTOP_DJANGO_FACTORY_STAGE_DIR: '/bundle',
    });
  });

  test('session tokens are 32 random bytes in hex, new each time', () => {
    const a = newSessionToken();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, newSessionToken());
  });
});

describe('starting serve', () => {
  test('resolves with the origin from the ready line (split across writes), with the env and cwd of the plan', async () => {
    const dump = path.join(makeTempDir('dump-'), 'env');
    const sup = supervisor('ok', { extraEnv: { FAKE_ENV_DUMP: dump, DJANGO_SETTINGS_MODULE: 'evil' } });
    try {
      const { backend, pid } = await sup.startServe();
      assert.match(backend.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(pid, sup.pids().serve);
      const seen = JSON.parse(fs.readFileSync(`${dump}.serve`, 'utf8'));
      assert.equal(seen.env.DESKTOP_DJANGO_AUTH_TOKEN, TOKEN);
      assert.equal(seen.env.DESKTOP_DJANGO_APP_DATA_DIR, sup.appDataDir);
      assert.equal(seen.env.DJANGO_SETTINGS_MODULE, undefined);
      assert.equal(fs.realpathSync(seen.cwd), fs.realpathSync(sup.plan.cwd));
      assert.deepEqual(seen.argv, ['serve']);
    } finally {
      await sup.stop();
    }
  });

  test('an error line rejects with its message and log path, and nothing is left running', async () => {
    const sup = supervisor('error');
    const started = sup.startServe();
    const pid = sup.pids().serve;
    await assert.rejects(started, (error) => {
      assert.ok(error instanceof BackendStartError);
      assert.equal(error.message, 'the database is newer than this app');
      assert.equal(error.logPath, '/x/logs/serve.log');
      return true;
    });
    assert.equal(isAlive(pid), false);
  });

  test('output that is not the protocol rejects and stops the child', async () => {
    const sup = supervisor('garbage');
    const started = sup.startServe();
    const pid = sup.pids().serve;
    await assert.rejects(started, /something other than its protocol line: Traceback/);
    assert.equal(isAlive(pid), false);
  });

  test('an exit before ready rejects naming the exit and the serve log', async () => {
    const sup = supervisor('exit-early');
    await assert.rejects(sup.startServe(), (error) => {
      assert.match(error.message, /exited \(exit code 3\) before it was ready/);
      assert.equal(error.logPath, path.join(sup.appDataDir, 'logs', 'serve.log'));
      return true;
    });
  });

  test('no ready line in time rejects with the log path and kills the child', async () => {
    const sup = supervisor('silent', { readyTimeoutMs: 300 });
    const started = sup.startServe();
    const pid = sup.pids().serve;
    await assert.rejects(started, (error) => /did not report ready within/.test(error.message) && error.logPath.endsWith('serve.log'));
    assert.equal(isAlive(pid), false);
  });

  test('a missing interpreter rejects with a readable message', async () => {
    const sup = supervisor('ok', { plan: { executable: path.join(os.tmpdir(), 'no-such-python') } });
    await assert.rejects(sup.startServe(), /cannot start .*no-such-python/);
  });
});

describe('supervision', () => {
  test('a crashing worker is restarted three times, then given up on', async () => {
    const startLog = path.join(makeTempDir('starts-'), 'log');
    const sup = supervisor('worker-crash', { extraEnv: { FAKE_START_LOG: startLog } });
    const events = [];
    sup.on('worker-restarting', ({ attempt }) => events.push(`restart ${attempt}`));
    const gaveUp = new Promise((resolve) => sup.on('worker-gave-up', (info) => { events.push('gave up'); resolve(info); }));
    try {
      await sup.startServe();
      sup.startWorker();
      const info = await gaveUp;
      assert.equal(info.logPath, path.join(sup.appDataDir, 'logs', 'worker.log'));
      assert.deepEqual(events, ['restart 1', 'restart 2', 'restart 3', 'gave up']);
      const workerStarts = fs.readFileSync(startLog, 'utf8').split('\n').filter((line) => line.startsWith('worker'));
      assert.equal(workerStarts.length, 4);
    } finally {
      await sup.stop();
    }
  });

  test('a worker that crashes once is back and stays up', async () => {
    const marker = path.join(makeTempDir('marker-'), 'crashed');
    const sup = supervisor('worker-crash-once', { extraEnv: { FAKE_MARKER: marker } });
    try {
      await sup.startServe();
      const first = sup.startWorker().pid;
      assert.ok(await waitUntil(() => sup.pids().worker && sup.pids().worker !== first));
      const second = sup.pids().worker;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(sup.pids().worker, second);
      assert.ok(isAlive(second));
    } finally {
      await sup.stop();
    }
  });

  test('the web server dying after ready is reported with its log', async () => {
    const sup = supervisor('die-after-ready');
    const died = new Promise((resolve) => sup.on('serve-died', resolve));
    try {
      await sup.startServe();
      const info = await died;
      assert.equal(info.code, 7);
      assert.equal(info.logPath, path.join(sup.appDataDir, 'logs', 'serve.log'));
    } finally {
      await sup.stop();
    }
  });
});

describe('stopping', () => {
  test('closing stdin stops both children; stop is idempotent and reports no crash', async () => {
    const sup = supervisor('ok');
    const crashes = [];
    sup.on('serve-died', () => crashes.push('serve'));
    sup.on('worker-restarting', () => crashes.push('worker'));
    await sup.startServe();
    sup.startWorker();
    const { serve, worker } = sup.pids();
    const first = sup.stop();
    assert.equal(sup.stop(), first);
    const started = Date.now();
    await first;
    assert.ok(Date.now() - started < 500, 'a child that honours stdin EOF needs no grace period');
    assert.equal(isAlive(serve), false);
    assert.equal(isAlive(worker), false);
    assert.deepEqual(crashes, []);
  });

  test('children that ignore stdin EOF and SIGTERM are killed after the grace period', async () => {
    const sup = supervisor('stubborn', { stopGraceMs: 200 });
    await sup.startServe();
    sup.startWorker();
    const { serve, worker } = sup.pids();
    await sup.stop();
    assert.equal(isAlive(serve), false);
    assert.equal(isAlive(worker), false);
  });

  test('a pending worker restart is cancelled by stop', async () => {
    const startLog = path.join(makeTempDir('starts-'), 'log');
    const sup = supervisor('worker-crash', {
      extraEnv: { FAKE_START_LOG: startLog },
      exitPolicy: (situation) => {
        const decision = decideOnExit(situation);
        return decision.action === 'restart' ? { ...decision, delayMs: 400 } : decision;
      },
    });
    const restarting = new Promise((resolve) => sup.on('worker-restarting', resolve));
    await sup.startServe();
    sup.startWorker();
    await restarting;
    await sup.stop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const workerStarts = fs.readFileSync(startLog, 'utf8').split('\n').filter((line) => line.startsWith('worker'));
    assert.equal(workerStarts.length, 1);
    assert.equal(sup.pids().worker, null);
  });
});
