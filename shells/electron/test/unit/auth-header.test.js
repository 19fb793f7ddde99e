'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { TOKEN_HEADER, headersFor, installAuthHeader } = require('../../src/main/auth-header');
const { parseBackendOrigin } = require('../../src/main/origin');

const backend = parseBackendOrigin('http://127.0.0.1:8123');
const token = 'ab'.repeat(32);

test('backend requests get the token header', () => {
  const headers = headersFor('http://127.0.0.1:8123/ponies/', { Accept: 'text/html' }, backend, token);
  assert.deepEqual(headers, { Accept: 'text/html', [TOKEN_HEADER]: token });
});

test('requests to any other origin never get it', () => {
  for (const url of ['http://127.0.0.1:9999/', 'https://example.com/', 'http://localhost:8123/', 'file:///tmp/x']) {
    const headers = headersFor(url, { Accept: '*/*' }, backend, token);
    assert.deepEqual(headers, { Accept: '*/*' }, url);
  }
});

test('a token header set by a page is dropped, whatever its case, and replaced only for the backend', () => {
  const forged = { 'x-desktop-django-token': 'forged', Accept: '*/*' };
  assert.deepEqual(headersFor('https://example.com/', forged, backend, token), { Accept: '*/*' });
  assert.deepEqual(headersFor('http://127.0.0.1:8123/', forged, backend, token), {
    Accept: '*/*',
    [TOKEN_HEADER]: token,
  });
});

test('the installed listener rewrites headers through the session callback', () => {
  let listener;
  const session = { webRequest: { onBeforeSendHeaders: (fn) => { listener = fn; } } };
  installAuthHeader(session, { backend, token });
  const seen = [];
  listener({ url: 'http://127.0.0.1:8123/health/', requestHeaders: {} }, (result) => seen.push(result));
  listener({ url: 'https://example.com/', requestHeaders: {} }, (result) => seen.push(result));
  assert.deepEqual(seen, [{ requestHeaders: { [TOKEN_HEADER]: token } }, { requestHeaders: {} }]);
});
