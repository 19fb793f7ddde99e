'use strict';
// The shell's own log, `<app data>/logs/electron.log`, next to the backend's serve.log and
// worker.log so that "Open Logs Folder" shows the whole story. Children's stderr lands here
// too: a traceback from before the launcher set up its own logging would otherwise be lost.
//
// Synchronous appends: the log matters most when the process is about to die.

const fs = require('node:fs');
const path = require('node:path');

const MAX_BYTES = 1024 * 1024;

function rotateIfLarge(file) {
  try {
    if (fs.statSync(file).size > MAX_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // No log yet: nothing to rotate.
  }
}

function createShellLog(logDir, { echo = false } = {}) {
  const file = path.join(logDir, 'electron.log');
  let writable = true;
  try {
    fs.mkdirSync(logDir, { recursive: true });
    rotateIfLarge(file);
  } catch {
    writable = false;
  }
  const write = (level, text) => {
    const line = `${new Date().toISOString()} ${level} ${text}\n`;
    if (echo) process.stdout.write(line);
    if (!writable) return;
    try {
      fs.appendFileSync(file, line);
    } catch {
      writable = false;
    }
  };
  return {
    file,
    info: (text) => write('INFO', text),
    warn: (text) => write('WARN', text),
    error: (text) => write('ERROR', text),
    debug: () => {},
    output: (role, chunk) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim()) write(`[${role}]`, line);
      }
    },
  };
}

module.exports = { createShellLog };
