'use strict';
// Backend supervision: start `serve`, read its ready line, start `worker`, keep the worker
// alive, and stop both so that nothing is left running.
//
// This module must not import `electron`: the integration tests drive it under plain Node
// against the real staged backend, which is the only way to prove the process handling
// without an Electron binary. The Electron side listens to its events and shows dialogs.

const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { decideOnExit } = require('./exit-policy');
const { killTree, killTreeNow, spawnOptions } = require('./process-tree');
const { LineSplitter, ProtocolError, parseLauncherLine } = require('./ready-line');
const timeline = require('./timeline');

// First start on a slow disk runs migrations and seeds the demo: give it room, but not forever.
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 3_000;

/** 32 random bytes as hex, new for every session: the backend accepts nothing without it. */
function newSessionToken() {
  return crypto.randomBytes(32).toString('hex');
}

// Nothing from the user's environment may steer the bundled interpreter or the launcher:
// a stray PYTHONHOME breaks the relocatable runtime, a stray DJANGO_SETTINGS_MODULE would
// replace the packaged settings, and ELECTRON_*/NODE_OPTIONS mean nothing to Python.
const STRIPPED_PREFIXES = ['DESKTOP_DJANGO_', 'ELECTRON_', 'PYTHON'];
const STRIPPED_NAMES = new Set(['DJANGO_SETTINGS_MODULE', 'NODE_OPTIONS']);

function childEnvironment(baseEnv, { planEnv = {}, appDataDir, token, stageDir = null, factoryStageDir = null }) {
  const env = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    const upper = name.toUpperCase();
    if (STRIPPED_NAMES.has(upper) || STRIPPED_PREFIXES.some((prefix) => upper.startsWith(prefix))) {
      continue;
    }
    env[name] = value;
  }
  Object.assign(env, planEnv);
  env.DESKTOP_DJANGO_APP_DATA_DIR = appDataDir;
  // The other launcher commands (backend-update, diagnostics) serve nothing: no token.
  if (token) env.DESKTOP_DJANGO_AUTH_TOKEN = token;
  if (stageDir) env.DESKTOP_DJANGO_STAGE_DIR = stageDir;
  // The slot rule's factory stage (docs/backend-updates.md, section 3): serve resolves again
  // itself, so it knows whether it is a trial or a rollback.
  if (factoryStageDir) env.DESKTOP_DJANGO_FACTORY_STAGE_DIR = factoryStageDir;
  // The benchmark's timeline file (a path to append to, nothing to steer the backend with).
  if (baseEnv[timeline.TIMELINE_VARIABLE]) env[timeline.TIMELINE_VARIABLE] = baseEnv[timeline.TIMELINE_VARIABLE];
  return env;
}

class BackendStartError extends Error {
  constructor(message, logPath) {
    super(message);
    this.name = 'BackendStartError';
    this.logPath = logPath;
  }
}

const quietLog = { info() {}, warn() {}, error() {}, output() {} };

function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child, timeoutMs) {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    function onExit() {
      clearTimeout(timer);
      resolve(true);
    }
    child.once('exit', onExit);
  });
}

/**
 * Events:
 * - 'serve-died' {code, signal, logPath}: the web server exited on its own (fatal for the app)
 * - 'worker-restarting' {attempt, delayMs, code, signal}
 * - 'worker-gave-up' {code, signal, logPath}: restarts exhausted; the app runs without tasks
 * - 'child-exit' {role, pid, code, signal}: every exit, expected or not
 */
class BackendSupervisor extends EventEmitter {
  /**
   * @param {object} options
   * @param {{executable: string, serveArgs: string[], workerArgs: string[], cwd: string,
   *          env?: object, stageDir?: string|null, factoryStageDir?: string|null}} options.plan
   *          from launch-plan.js
   * @param {string} options.appDataDir  the writable per-user folder
   * @param {string} options.token  the per-session token
   */
  constructor({
    plan,
    appDataDir,
    token,
    log = quietLog,
    readyTimeoutMs = READY_TIMEOUT_MS,
    stopGraceMs = STOP_GRACE_MS,
    baseEnv = process.env,
    exitPolicy = decideOnExit,
  }) {
    super();
    this.plan = plan;
    this.appDataDir = appDataDir;
    this.log = log;
    this.readyTimeoutMs = readyTimeoutMs;
    this.stopGraceMs = stopGraceMs;
    this.exitPolicy = exitPolicy;
    this.env = childEnvironment(baseEnv, {
      planEnv: plan.env,
      appDataDir,
      token,
      stageDir: plan.stageDir,
      factoryStageDir: plan.factoryStageDir,
    });
    this.children = { serve: null, worker: null };
    // Children we asked to stop: their exit is not a crash.
    this.stopRequested = new WeakSet();
    this.backend = null;
    this.stopping = false;
    this.workerRestarts = 0;
    this.restartTimer = null;
    this.stopped = null;
  }

  get logDir() {
    return path.join(this.appDataDir, 'logs');
  }

  logPathFor(role) {
    return path.join(this.logDir, `${role}.log`);
  }

  pids() {
    return {
      serve: this.children.serve ? this.children.serve.pid : null,
      worker: this.children.worker ? this.children.worker.pid : null,
    };
  }

  _spawn(role) {
    const args = role === 'serve' ? this.plan.serveArgs : this.plan.workerArgs;
    this.log.info(`starting ${role}: ${this.plan.executable} ${args.join(' ')}`);
    const child = spawn(this.plan.executable, args, spawnOptions({ cwd: this.plan.cwd, env: this.env }));
    // A child that died makes our next stdin write fail with EPIPE: expected, not a crash.
    child.stdin.on('error', () => {});
    if (child.pid) this.log.info(`${role} running as pid ${child.pid}`);
    child.stderr.on('data', (chunk) => this.log.output(role, chunk));
    this.children[role] = child;
    timeline.mark(`${role}-spawned`);
    return child;
  }

  /**
   * Start `serve` and resolve with {backend, pid, rolledBack} once it printed its ready line
   * (rolledBack: ready-line.js's report of a rolled-back update, or null).
   */
  startServe() {
    if (this.children.serve) throw new Error('serve is already running');
    const logPath = this.logPathFor('serve');
    const child = this._spawn('serve');
    return new Promise((resolve, reject) => {
      const lines = new LineSplitter();
      let settled = false;
      const fail = (message) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.log.error(`serve failed to start: ${message}`);
        const error = new BackendStartError(message, logPath);
        this._terminate('serve').then(() => reject(error), () => reject(error));
      };
      const timer = setTimeout(() => {
        fail(`the backend did not report ready within ${Math.round(this.readyTimeoutMs / 1000)} s`);
      }, this.readyTimeoutMs);

      child.stdout.on('data', (chunk) => {
        for (const line of lines.push(chunk)) {
          if (settled) {
            // The protocol promises one line; anything after it is only worth logging.
            this.log.output('serve', `${line}\n`);
            continue;
          }
          let parsed;
          try {
            parsed = parseLauncherLine(line);
          } catch (error) {
            fail(error instanceof ProtocolError ? error.message : String(error));
            continue;
          }
          if (parsed.event === 'error') {
            const error = new BackendStartError(parsed.message, parsed.log || logPath);
            settled = true;
            clearTimeout(timer);
            this.log.error(`serve reported an error: ${parsed.message}`);
            this._terminate('serve').then(() => reject(error), () => reject(error));
            continue;
          }
          settled = true;
          clearTimeout(timer);
          this.backend = parsed.backend;
          timeline.mark('ready-line');
          this.log.info(`serve ready at ${parsed.backend.origin} (pid ${parsed.pid})`);
          resolve({ backend: parsed.backend, pid: parsed.pid, rolledBack: parsed.rolledBack });
        }
      });
      child.on('error', (error) => fail(`cannot start ${this.plan.executable}: ${error.message}`));
      child.on('exit', (code, signal) => {
        this._recordExit('serve', child, code, signal);
        if (!settled) {
          // 'exit' can arrive before stdout is drained, and stdout may still hold the error
          // line that explains the exit: read it to the end (briefly) before concluding.
          const conclude = () => fail(`the backend exited (${describeExit(code, signal)}) before it was ready`);
          if (child.stdout.readableEnded) conclude();
          child.stdout.once('end', conclude);
          setTimeout(conclude, 1000).unref();
          return;
        }
        if (!this.stopRequested.has(child)) this._onUnexpectedExit('serve', code, signal);
      });
    });
  }

  /** Start the task worker. It has no ready line: it is up once it runs. */
  startWorker() {
    if (this.stopping) return null;
    if (this.children.worker) throw new Error('worker is already running');
    const child = this._spawn('worker');
    child.stdout.on('data', (chunk) => this.log.output('worker', chunk));
    child.on('error', (error) => this.log.error(`worker could not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      this._recordExit('worker', child, code, signal);
      if (!this.stopRequested.has(child)) this._onUnexpectedExit('worker', code, signal);
    });
    return child;
  }

  _recordExit(role, child, code, signal) {
    if (this.children[role] === child) this.children[role] = null;
    this.log.info(`${role} (pid ${child.pid}) exited: ${describeExit(code, signal)}`);
    this.emit('child-exit', { role, pid: child.pid, code, signal });
  }

  _onUnexpectedExit(role, code, signal) {
    const decision = this.exitPolicy({ role, stopping: this.stopping, restarts: this.workerRestarts });
    if (decision.action === 'fatal') {
      this.emit('serve-died', { code, signal, logPath: this.logPathFor('serve') });
    } else if (decision.action === 'restart') {
      this.workerRestarts = decision.attempt;
      this.log.warn(`restarting the worker in ${decision.delayMs} ms (attempt ${decision.attempt})`);
      this.emit('worker-restarting', { attempt: decision.attempt, delayMs: decision.delayMs, code, signal });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.startWorker();
      }, decision.delayMs);
    } else if (decision.action === 'give-up') {
      this.log.error('the worker keeps exiting; background routines are stopped');
      this.emit('worker-gave-up', { code, signal, logPath: this.logPathFor('worker') });
    }
  }

  async _terminate(role) {
    const child = this.children[role];
    if (!child) return;
    this.stopRequested.add(child);
    if (!child.pid) {
      // Never started (spawn failed): there is no tree to stop.
      this.children[role] = null;
      return;
    }
    child.stdin.end();
    const exited = await waitForExit(child, this.stopGraceMs);
    await killTree(child.pid, { exited });
    await waitForExit(child, 2000);
  }

  /**
   * Close both children's stdin (the launcher's stop request), give them the grace period,
   * then kill whatever is left of each tree. Idempotent: every caller gets the same promise.
   */
  stop() {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const running = Object.values(this.children).filter((child) => child && child.pid);
    this.stopped = (async () => {
      for (const child of running) {
        this.stopRequested.add(child);
        child.stdin.end();
      }
      const exited = await Promise.all(running.map((child) => waitForExit(child, this.stopGraceMs)));
      await Promise.all(running.map((child, i) => killTree(child.pid, { exited: exited[i] })));
      await Promise.all(running.map((child) => waitForExit(child, 2000)));
      this.log.info('backend stopped');
    })();
    return this.stopped;
  }

  /** Synchronous last resort for process 'exit' (a crash of the main process). */
  killNow() {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const child of Object.values(this.children)) {
      if (child && !hasExited(child)) killTreeNow(child.pid);
    }
  }
}

function describeExit(code, signal) {
  if (signal) return `signal ${signal}`;
  return `exit code ${code}`;
}

module.exports = {
  BackendStartError,
  BackendSupervisor,
  READY_TIMEOUT_MS,
  STOP_GRACE_MS,
  childEnvironment,
  newSessionToken,
};
