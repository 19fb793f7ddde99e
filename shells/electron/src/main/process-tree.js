'use strict';
// Spawning a backend child so that its whole tree can be stopped, and stopping it.
//
// POSIX: each child leads its own process group (detached: setsid), so one signal to -pid
// reaches anything it started; SIGTERM first (the launcher stops cleanly on it), SIGKILL if
// the group is still there. Windows has no process groups we can signal: taskkill /t walks
// the parent/child tree instead, and must run while the parent still exists.
//
// Children never outlive the shell even when these functions never run (crash, kill -9):
// the launcher exits when its stdin reaches EOF, and the OS closes our end of that pipe.

const { spawn, spawnSync } = require('node:child_process');

function spawnOptions({ cwd, env, platform = process.platform }) {
  return {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: platform !== 'win32',
    windowsHide: true,
  };
}

function treeKillCommand(pid, platform = process.platform) {
  if (platform === 'win32') {
    return { command: 'taskkill', args: ['/pid', String(pid), '/t', '/f'] };
  }
  return null;
}

function groupExists(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    // EPERM: the group exists but belongs to someone else: not ours to signal.
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kill the tree of one child. `exited` tells whether the child itself is already gone, which
 * matters on Windows only (taskkill needs the parent alive to find its descendants).
 */
async function killTree(pid, { exited = false, termGraceMs = 1000, platform = process.platform } = {}) {
  const windows = treeKillCommand(pid, platform);
  if (windows) {
    if (!exited) {
      await new Promise((resolve) => {
        const killer = spawn(windows.command, windows.args, { stdio: 'ignore', windowsHide: true });
        killer.on('exit', resolve);
        killer.on('error', resolve);
      });
    }
    return;
  }
  if (!groupExists(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + termGraceMs;
  while (Date.now() < deadline) {
    if (!groupExists(pid)) return;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
}

/**
 * Best effort from a synchronous context (process 'exit'), where nothing can be awaited.
 * SIGTERM rather than SIGKILL: the launcher handles it by closing SQLite cleanly, and the
 * stdin guard stops it anyway a moment later when this process is gone.
 */
function killTreeNow(pid, platform = process.platform) {
  const windows = treeKillCommand(pid, platform);
  if (windows) {
    spawnSync(windows.command, windows.args, { stdio: 'ignore', windowsHide: true });
    return;
  }
  signalGroup(pid, 'SIGTERM');
}

module.exports = { killTree, killTreeNow, spawnOptions, treeKillCommand };
