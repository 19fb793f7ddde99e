'use strict';
// Which stage to start: the factory stage inside the app, or an updated slot in
// `<app data>/stages/<version>/` (docs/backend-updates.md). The rule is the one in
// desktop_django/slots.py, and both run the shared vectors in tests/contracts/stage-slots.json,
// so a state one shell reads as "roll back" no other shell reads as "start the trial".
//
// The shell only reads here: the state file is written by the Python side (apply, serve,
// confirm), atomically, so a half-written file is never seen. No `electron` import: the tests
// run this under plain Node.

const fs = require('node:fs');
const path = require('node:path');

const FACTORY = 'factory';
const STAGES_DIR = 'stages';
const STATE_FILE = 'state.json';
// Written last, after the whole slot was re-hashed: without it a slot folder is not a slot.
const COMPLETE_MARKER = '.slot-complete';
const STATE_SCHEMA_VERSION = 1;
// A slot version is also a folder name: ASCII, starting with a digit, no path separators.
const VERSION = /^([0-9]+)\.([0-9]+)\.([0-9]+)([0-9A-Za-z.+-]*)$/;
const FILE_NAME = /^[0-9A-Za-z._+-]+$/;

const isVersion = (value) => typeof value === 'string' && VERSION.test(value);
const isCount = (value) => Number.isInteger(value) && value >= 0;

/**
 * -1, 0 or 1. Numerically by major.minor.patch; a version with a suffix (`1.2.0rc1`) comes
 * before the same version without one; suffixes compare as text.
 */
function compareVersions(a, b) {
  const left = VERSION.exec(a);
  const right = VERSION.exec(b);
  if (!left || !right) throw new Error(`not a version: ${JSON.stringify(left ? b : a)}`);
  for (let i = 1; i <= 3; i += 1) {
    const difference = Number(left[i]) - Number(right[i]);
    if (difference !== 0) return Math.sign(difference);
  }
  const [leftSuffix, rightSuffix] = [left[4], right[4]];
  if (leftSuffix === rightSuffix) return 0;
  if (!leftSuffix || !rightSuffix) return leftSuffix ? -1 : 1;
  return leftSuffix < rightSuffix ? -1 : 1;
}

/** The state file's object, or null when it is not one the rule can trust (any field wrong). */
function parseState(text) {
  if (typeof text !== 'string') return null;
  let state;
  try {
    state = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return null;
  const slotName = (value) => value === FACTORY || isVersion(value);
  const backup = state.trialBackup;
  const valid =
    state.schemaVersion === STATE_SCHEMA_VERSION &&
    slotName(state.active) &&
    slotName(state.previous) &&
    (state.status === 'trial' || state.status === 'good') &&
    isCount(state.attempts) &&
    (backup === undefined || backup === null || backup === '' ||
      (typeof backup === 'string' && FILE_NAME.test(backup) && backup.replace(/\./g, '') !== '')) &&
    (state.highestGood === undefined || state.highestGood === null || isVersion(state.highestGood)) &&
    Array.isArray(state.bad) &&
    state.bad.every(isVersion);
  return valid ? state : null;
}

/**
 * Where to go when the active slot cannot be used: the previous slot if it is complete, not
 * bad and newer than the factory, else the factory. `state` is parseState's object.
 */
function fallbackSlot(state, slots, factoryVersion) {
  const { previous } = state;
  const usable =
    previous !== FACTORY &&
    isVersion(previous) &&
    slots.includes(previous) &&
    !state.bad.includes(previous) &&
    compareVersions(previous, factoryVersion) > 0;
  return usable ? previous : FACTORY;
}

/**
 * The resolution rule, a pure function.
 * @param {{state: string|null, slots: string[], factoryVersion: string}} input
 *   state: the state file's text (null when there is none); slots: the folder names in
 *   `<app data>/stages/` that hold the complete marker; factoryVersion: the version of the
 *   stage inside the app.
 * @returns {{slot: string, mode: 'normal'|'trial'|'rollback', reason: string}}
 */
function resolveSlot({ state: text, slots, factoryVersion }) {
  const result = (slot, mode, reason) => ({ slot, mode, reason });
  if (text === null || text === undefined) return result(FACTORY, 'normal', 'no-state');
  const state = parseState(text);
  if (!state) return result(FACTORY, 'normal', 'invalid-state');
  const complete = new Set(slots.filter(isVersion));
  const fallback = fallbackSlot(state, slots, factoryVersion);

  const { active } = state;
  if (active === FACTORY) return result(FACTORY, 'normal', 'factory-active');
  // A trial started and was never confirmed: it crashed, was killed or failed.
  if (state.status === 'trial' && state.attempts >= 1) return result(fallback, 'rollback', 'trial-unconfirmed');
  if (state.bad.includes(active)) return result(fallback, 'normal', 'active-bad');
  if (!complete.has(active)) return result(fallback, 'normal', 'active-missing');
  // The user installed an installer at least as new as the updated backend.
  if (compareVersions(factoryVersion, active) >= 0) return result(FACTORY, 'normal', 'factory-newer');
  if (state.status === 'good') return result(active, 'normal', 'good');
  return result(active, 'trial', 'trial');
}

function stagesDir(appDataDir) {
  return path.join(appDataDir, STAGES_DIR);
}

/** The versions under `<app data>/stages/` whose folder is complete. */
function completeSlots(appDataDir) {
  let names;
  try {
    names = fs.readdirSync(stagesDir(appDataDir));
  } catch {
    return [];
  }
  return names.filter(
    (name) => isVersion(name) && fs.existsSync(path.join(stagesDir(appDataDir), name, COMPLETE_MARKER)),
  );
}

/** The state file's text; null when there is none; '' (invalid) when it cannot be read. */
function readState(appDataDir) {
  try {
    return fs.readFileSync(path.join(stagesDir(appDataDir), STATE_FILE), 'utf8');
  } catch (error) {
    return error.code === 'ENOENT' ? null : '';
  }
}

/** The folder of a slot: the factory stage, or its folder in app data. */
function slotDir(slot, { factoryDir, appDataDir }) {
  return slot === FACTORY ? factoryDir : path.join(stagesDir(appDataDir), slot);
}

/**
 * Resolve against what is on disk now.
 * @returns {{slot, mode, reason, stageDir}}
 */
function chooseSlot({ factoryDir, factoryVersion, appDataDir }) {
  const decision = resolveSlot({ state: readState(appDataDir), slots: completeSlots(appDataDir), factoryVersion });
  return { ...decision, stageDir: slotDir(decision.slot, { factoryDir, appDataDir }) };
}

module.exports = {
  COMPLETE_MARKER,
  FACTORY,
  STATE_FILE,
  chooseSlot,
  compareVersions,
  completeSlots,
  fallbackSlot,
  parseState,
  readState,
  resolveSlot,
  slotDir,
  stagesDir,
};
