'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { createShellLog } = require('../../src/main/shell-log');
const { makeTempDir } = require('../support/temp');

test('lines and child output land in <logs>/electron.log', () => {
  const dir = path.join(makeTempDir('log-'), 'logs');
  const log = createShellLog(dir);
  log.info('starting');
  log.output('serve', Buffer.from('Traceback\n  File "x"\n\n'));
  const text = fs.readFileSync(path.join(dir, 'electron.log'), 'utf8');
  assert.match(text, /INFO starting\n/);
  assert.match(text, /\[serve\] Traceback\n.*\[serve\]   File "x"\n$/);
});

test('a large log is rotated at start', () => {
  const dir = makeTempDir('log-');
  fs.writeFileSync(path.join(dir, 'electron.log'), Buffer.alloc(1024 * 1024 + 1, 'x'));
  createShellLog(dir).info('fresh');
  assert.equal(fs.statSync(path.join(dir, 'electron.log.1')).size, 1024 * 1024 + 1);
  assert.match(fs.readFileSync(path.join(dir, 'electron.log'), 'utf8'), /^\S+ INFO fresh\n$/);
});

test('an unwritable folder never throws: logging must not take the app down', () => {
  const file = path.join(makeTempDir('log-'), 'not-a-dir');
  fs.writeFileSync(file, '');
  const log = createShellLog(path.join(file, 'logs'));
  assert.doesNotThrow(() => log.error('still fine'));
});
