'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { MAX_WORKER_RESTARTS, decideOnExit } = require('../../src/main/exit-policy');

test('exits during a requested stop are expected', () => {
  assert.deepEqual(decideOnExit({ role: 'serve', stopping: true, restarts: 0 }), { action: 'none' });
  assert.deepEqual(decideOnExit({ role: 'worker', stopping: true, restarts: 0 }), { action: 'none' });
});

test('the web server dying is fatal', () => {
  assert.deepEqual(decideOnExit({ role: 'serve', stopping: false, restarts: 0 }), { action: 'fatal' });
});

test('the worker is restarted three times with doubling delays, then given up', () => {
  assert.equal(MAX_WORKER_RESTARTS, 3);
  const decisions = [0, 1, 2, 3].map((restarts) => decideOnExit({ role: 'worker', stopping: false, restarts }));
  assert.deepEqual(decisions, [
    { action: 'restart', attempt: 1, delayMs: 1000 },
    { action: 'restart', attempt: 2, delayMs: 2000 },
    { action: 'restart', attempt: 3, delayMs: 4000 },
    { action: 'give-up' },
  ]);
});

test('an unknown role is a programming error', () => {
  assert.throws(() => decideOnExit({ role: 'cron', stopping: false, restarts: 0 }), /unknown role/);
});
