'use strict';
// The manual update flow as a state machine: check, ask, download, ask, install.
// Pure, so that every path (declines, errors, repeated clicks) is unit-tested.
//
//   idle ─check→ checking ─available→ available ─consent→ downloading ─downloaded→ ready
//                   │                     └decline→ idle         │                  ├install→ installing
//                   └not-available→ idle                        error→ idle          └decline→ ready (later)

const TRANSITIONS = {
  idle: { check: 'checking' },
  checking: { available: 'available', 'not-available': 'idle', error: 'idle' },
  available: { consent: 'downloading', decline: 'idle' },
  downloading: { progress: 'downloading', downloaded: 'ready', error: 'idle' },
  // A downloaded update waits: the next "Check for Updates…" offers the restart again.
  ready: { install: 'installing', decline: 'ready' },
  installing: { error: 'ready' },
};

class InvalidTransition extends Error {}

function transition(state, event) {
  const next = (TRANSITIONS[state] || {})[event];
  if (!next) throw new InvalidTransition(`update flow: no "${event}" from "${state}"`);
  return next;
}

/** Whether a click on "Check for Updates…" starts something, or only reports progress. */
function canCheck(state) {
  return state === 'idle' || state === 'ready';
}

module.exports = { InvalidTransition, canCheck, transition };
