'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { SPLASH_SOURCE, prepareAssets, splashCsp } = require('../../scripts/prepare-assets');
const { makeTempDir } = require('../support/temp');

const out = makeTempDir('assets-');
const written = prepareAssets(out);

test('the splash is the backend page plus its CSP as a meta tag, and nothing else changed', () => {
  const source = fs.readFileSync(SPLASH_SOURCE, 'utf8');
  const copy = fs.readFileSync(written.splash, 'utf8');
  const metaLine = copy.split('\n').find((line) => line.includes('Content-Security-Policy'));
  assert.ok(metaLine, 'no CSP meta tag');
  assert.equal(copy.replace(`${metaLine}\n`, ''), source);
  assert.doesNotMatch(copy, /<script|https?:\/\//i, 'the splash must be self-contained');
});

test('the CSP allows exactly the inline style block, by hash, and nothing remote', () => {
  const html = fs.readFileSync(SPLASH_SOURCE, 'utf8');
  const style = html.match(/<style>([\s\S]*?)<\/style>/)[1];
  const digest = crypto.createHash('sha256').update(style, 'utf8').digest('base64');
  assert.equal(splashCsp(html), `default-src 'none'; img-src data:; style-src 'sha256-${digest}'`);
});
