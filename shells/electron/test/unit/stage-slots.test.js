'use strict';
// The one slot-resolution rule, as Python (desktop_django/slots.py) and the Tauri supervisor
// run it too: the shared vectors in tests/contracts/stage-slots.json against backend-slots.js,
// and the folder reading that feeds the rule.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { COMPLETE_MARKER, chooseSlot, completeSlots, readState, resolveSlot } = require('../../src/main/backend-slots');
const { REPO_ROOT } = require('../support/paths');
const { makeTempDir } = require('../support/temp');

const VECTORS = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tests', 'contracts', 'stage-slots.json'), 'utf8'));

/** A case's state file text: raw for damaged files, serialised otherwise, null for none. */
function stateText(vector) {
  if (Object.prototype.hasOwnProperty.call(vector, 'stateText')) return vector.stateText;
  return vector.state === null ? null : JSON.stringify(vector.state);
}

test('every shared vector resolves to the expected slot, mode and reason', () => {
  assert.equal(VECTORS.schemaVersion, 1);
  assert.ok(VECTORS.cases.length >= 20, 'too few vectors to mean something');
  for (const vector of VECTORS.cases) {
    const resolved = resolveSlot({ state: stateText(vector), slots: vector.slots, factoryVersion: vector.factory });
    assert.deepEqual(resolved, vector.expect, vector.name);
  }
});

test('only complete version folders are slots; the state is read as text, absent as null', () => {
  const appData = makeTempDir('electron-slots-');
  const stages = path.join(appData, 'stages');
  assert.deepEqual(completeSlots(appData), []);
  assert.equal(readState(appData), null);
  for (const name of ['0.2.0', '0.3.0', '.building-0.4.0-x1', 'notes']) {
    fs.mkdirSync(path.join(stages, name), { recursive: true });
    fs.writeFileSync(path.join(stages, name, COMPLETE_MARKER), '');
  }
  fs.rmSync(path.join(stages, '0.3.0', COMPLETE_MARKER));
  assert.deepEqual(completeSlots(appData), ['0.2.0']);

  const state = { schemaVersion: 1, active: '0.2.0', status: 'trial', previous: 'factory', attempts: 0, trialBackup: null, highestGood: null, bad: [] };
  fs.writeFileSync(path.join(stages, 'state.json'), JSON.stringify(state));
  const factoryDir = path.join(appData, 'factory-stage');
  assert.deepEqual(chooseSlot({ factoryDir, factoryVersion: '0.1.0', appDataDir: appData }), {
    slot: '0.2.0',
    mode: 'trial',
    reason: 'trial',
    stageDir: path.join(stages, '0.2.0'),
  });
  fs.rmSync(path.join(stages, '0.2.0', COMPLETE_MARKER));
  assert.equal(chooseSlot({ factoryDir, factoryVersion: '0.1.0', appDataDir: appData }).stageDir, factoryDir);
});
