'use strict';
// Start-up milestones on the backend's clock, for the benchmark's timeline (bench/timeline.py;
// the Python side is desktop_django/timeline.py). Off unless $DESKTOP_DJANGO_TIMELINE names a
// file; then each milestone is one JSON line appended to it. `t` is CLOCK_MONOTONIC in seconds
// (process.hrtime reads it, as Python's time.monotonic does), so the lines of this process,
// `serve` and `worker` share one axis.

const fs = require('node:fs');

const TIMELINE_VARIABLE = 'DESKTOP_DJANGO_TIMELINE';

function mark(milestone, env = process.env) {
  const file = env[TIMELINE_VARIABLE];
  if (!file) return;
  const line = { process: 'electron-main', pid: process.pid, milestone, t: Number(process.hrtime.bigint()) / 1e9 };
  try {
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // A measurement aid: never a reason for the app not to start.
  }
}

module.exports = { TIMELINE_VARIABLE, mark };
