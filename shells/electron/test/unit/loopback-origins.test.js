'use strict';
// The one loopback-origin rule, as the Tauri supervisor runs it too: the shared vectors in
// tests/contracts/loopback-origins.json against Electron's origin and navigation guards.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { navigationDecision } = require('../../src/main/guards');
const { parseBackendOrigin } = require('../../src/main/origin');

const VECTORS = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'tests', 'contracts', 'loopback-origins.json'), 'utf8'),
);

test('ready URLs the rule accepts become exactly the expected origin', () => {
  assert.ok(VECTORS.readyUrls.accept.length >= 3);
  for (const { url, origin } of VECTORS.readyUrls.accept) {
    assert.equal(parseBackendOrigin(url).origin, origin, url);
  }
});

test('ready URLs the rule rejects are refused', () => {
  assert.ok(VECTORS.readyUrls.reject.length >= 10);
  for (const url of VECTORS.readyUrls.reject) {
    assert.throws(() => parseBackendOrigin(url), Error, JSON.stringify(url));
  }
});

test('navigation from the backend origin: allow, external or block, as the vectors say', () => {
  const backend = parseBackendOrigin(VECTORS.backend);
  for (const { url, decision } of VECTORS.navigation) {
    assert.equal(navigationDecision(url, backend), decision, url);
  }
});
