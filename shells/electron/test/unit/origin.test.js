'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { isBackendUrl, parseBackendOrigin } = require('../../src/main/origin');

const backend = parseBackendOrigin('http://127.0.0.1:8123');

test('the ready URL becomes a frozen origin with a home page', () => {
  assert.equal(backend.origin, 'http://127.0.0.1:8123');
  assert.equal(backend.home, 'http://127.0.0.1:8123/');
  assert.ok(Object.isFrozen(backend));
  assert.equal(parseBackendOrigin('http://[::1]:9000').hostname, '[::1]');
});

test('a ready URL that is not plain http on loopback with a port is refused', () => {
  for (const url of [
    'https://127.0.0.1:8123',
    'http://localhost:8123',
    'http://192.168.1.5:8123',
    'http://127.0.0.1',
    'http://user:pw@127.0.0.1:8123',
    'file:///etc/passwd',
    'not a url',
    undefined,
  ]) {
    assert.throws(() => parseBackendOrigin(url), undefined, String(url));
  }
});

test('only the exact protocol, host and port match', () => {
  assert.ok(isBackendUrl('http://127.0.0.1:8123/', backend));
  assert.ok(isBackendUrl('http://127.0.0.1:8123/ponies/?q=1#top', backend));
  assert.ok(isBackendUrl('http://127.0.0.1:8123/static/app.css', backend));
  for (const url of [
    'http://127.0.0.1:8124/',
    'https://127.0.0.1:8123/',
    'http://localhost:8123/',
    'http://127.0.0.2:8123/',
    'http://127.0.0.1.evil.example:8123/',
    'http://evil.example/?next=http://127.0.0.1:8123/',
    'ws://127.0.0.1:8123/',
    'http://[::1]:8123/',
    'about:blank',
    'garbage',
    '',
  ]) {
    assert.equal(isBackendUrl(url, backend), false, url);
  }
});

test('without a backend nothing matches', () => {
  assert.equal(isBackendUrl('http://127.0.0.1:8123/', null), false);
});
