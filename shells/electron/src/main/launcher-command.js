'use strict';
// The launcher's other commands (`diagnostics`, `backend-update apply|confirm|status`): the
// interpreter, folder and argv the manifest gives `serve`, with `serve` swapped for the
// command (docs/backend-updates.md, section 3). Each prints one JSON line on stdout.

const { execFile } = require('node:child_process');

class LauncherCommandError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LauncherCommandError';
  }
}

/** The command for `plan` (from launch-plan.js): its serve argv with `serve` swapped for `args`. */
function launcherCommand(plan, args) {
  const serve = plan.serveArgs;
  if (!serve.length || serve[serve.length - 1] !== 'serve') {
    throw new LauncherCommandError(`the launch plan's serve command does not end in "serve": ${serve.join(' ')}`);
  }
  return { executable: plan.executable, args: [...serve.slice(0, -1), ...args], cwd: plan.cwd };
}

/** The last JSON object the command printed, or null: a warning line before it is not the answer. */
function lastJsonObject(stdout) {
  const lines = String(stdout).split(/\r?\n/).reverse();
  for (const line of lines) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // not the JSON line: keep looking
    }
  }
  return null;
}

/**
 * Run `args` with the plan's interpreter and `env`; resolves with the command's JSON object.
 * Rejects with the command's own message for an {"event": "error"} line, else with the last
 * line of stderr (or the exit) when it failed.
 */
function runLauncherCommand(plan, env, args, { timeoutMs = 120_000, run = execFile } = {}) {
  const command = launcherCommand(plan, args);
  return new Promise((resolve, reject) => {
    const child = run(command.executable, command.args, { cwd: command.cwd, env, timeout: timeoutMs }, (error, stdout, stderr) => {
      const result = lastJsonObject(stdout || '');
      if (result && result.event === 'error') {
        reject(new LauncherCommandError(typeof result.message === 'string' && result.message ? result.message : `${args[0]} failed`));
        return;
      }
      if (error) {
        const last = String(stderr || '').trim().split('\n').pop();
        reject(new LauncherCommandError(last || error.message));
        return;
      }
      resolve(result || {});
    });
    // The command must never wait for input from us.
    if (child && child.stdin) child.stdin.end();
  });
}

module.exports = { LauncherCommandError, lastJsonObject, launcherCommand, runLauncherCommand };
