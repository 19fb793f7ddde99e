'use strict';
// Help > Export Diagnostics…: the launcher's own `diagnostics PATH` command (one zip with the
// logs, manifest, versions, integrity check and app-data listing; never the token or the
// secret key), run with the same interpreter, folder and environment as `serve`.

const { execFile } = require('node:child_process');

const { launcherCommand } = require('./launcher-command');

class DiagnosticsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DiagnosticsError';
  }
}

/** The command for `plan` (from launch-plan.js): its serve argv with `serve` swapped. */
function diagnosticsCommand(plan, zipPath) {
  try {
    return launcherCommand(plan, ['diagnostics', zipPath]);
  } catch (error) {
    throw new DiagnosticsError(error.message);
  }
}

/** Run it; resolves with the written zip's path (from the launcher's JSON line). */
function exportDiagnostics(plan, env, zipPath, run = execFile) {
  const command = diagnosticsCommand(plan, zipPath);
  return new Promise((resolve, reject) => {
    run(command.executable, command.args, { cwd: command.cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new DiagnosticsError((stderr || '').trim() || error.message));
        return;
      }
      const line = stdout.trim().split('\n').pop() || '{}';
      try {
        resolve(JSON.parse(line).path || zipPath);
      } catch {
        resolve(zipPath);
      }
    });
  });
}

module.exports = { DiagnosticsError, diagnosticsCommand, exportDiagnostics };
