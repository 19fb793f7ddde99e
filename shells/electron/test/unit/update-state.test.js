'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { InvalidTransition, canCheck, transition } = require('../../src/main/update-state');

const walk = (events, from = 'idle') => events.reduce((state, event) => transition(state, event), from);

test('the happy path: check, consent, download, install', () => {
  assert.equal(walk(['check', 'available', 'consent', 'progress', 'downloaded', 'install']), 'installing');
});

test('nothing new, declines and errors all return to a state where the user can check again', () => {
  assert.equal(walk(['check', 'not-available']), 'idle');
  assert.equal(walk(['check', 'error']), 'idle');
  assert.equal(walk(['check', 'available', 'decline']), 'idle');
  assert.equal(walk(['check', 'available', 'consent', 'error']), 'idle');
  for (const state of ['idle']) assert.ok(canCheck(state));
});

test('a downloaded update waits for consent and survives a declined or failed install', () => {
  assert.equal(walk(['check', 'available', 'consent', 'downloaded', 'decline']), 'ready');
  assert.equal(walk(['install', 'error'], 'ready'), 'ready');
  assert.ok(canCheck('ready'));
});

test('no second check while one is running, and no install without a download', () => {
  assert.equal(canCheck('checking'), false);
  assert.equal(canCheck('downloading'), false);
  assert.equal(canCheck('installing'), false);
  assert.throws(() => transition('checking', 'check'), InvalidTransition);
  assert.throws(() => transition('idle', 'install'), InvalidTransition);
  assert.throws(() => transition('available', 'downloaded'), InvalidTransition);
});
