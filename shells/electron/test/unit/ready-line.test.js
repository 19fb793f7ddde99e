'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { LineSplitter, ProtocolError, parseLauncherLine, rollbackMessage } = require('../../src/main/ready-line');

test('a ready line gives the backend origin and pid', () => {
  const parsed = parseLauncherLine('{"event": "ready", "url": "http://127.0.0.1:40309", "pid": 4242}');
  assert.equal(parsed.event, 'ready');
  assert.equal(parsed.pid, 4242);
  assert.equal(parsed.backend.origin, 'http://127.0.0.1:40309');
});

test('a ready line after a rollback reports it, and that becomes the one sentence the user sees', () => {
  assert.equal(parseLauncherLine('{"event": "ready", "url": "http://127.0.0.1:40309", "pid": 1}').rolledBack, null);
  const parsed = parseLauncherLine(JSON.stringify({
    event: 'ready',
    url: 'http://127.0.0.1:40309',
    pid: 4242,
    rolledBack: { from: '0.2.0', to: '0.1.1', log: '/d/logs/serve.log', keptDatabase: '/d/backups/failed-0.2.0-20260101T000000Z' },
  }));
  assert.deepEqual(parsed.rolledBack, { from: '0.2.0', to: '0.1.1', log: '/d/logs/serve.log', keptDatabase: '/d/backups/failed-0.2.0-20260101T000000Z' });
  assert.equal(rollbackMessage(parsed.rolledBack), 'Backend 0.2.0 failed to start; you are back on 0.1.1. Details: /d/logs/serve.log');
  assert.equal(rollbackMessage({ from: '0.2.0', to: 'factory', log: null }), "Backend 0.2.0 failed to start; you are back on factory. Details: the app's logs folder");
  for (const report of ['"0.2.0"', '{"from": "0.2.0"}', '[]']) {
    assert.throws(() => parseLauncherLine(`{"event": "ready", "url": "http://127.0.0.1:1", "pid": 1, "rolledBack": ${report}}`), ProtocolError, report);
  }
});

test('an error line carries the message and log path', () => {
  assert.deepEqual(parseLauncherLine('{"event": "error", "message": "database is newer", "log": "/d/logs/serve.log"}'), {
    event: 'error',
    message: 'database is newer',
    log: '/d/logs/serve.log',
  });
  assert.deepEqual(parseLauncherLine('{"event": "error", "message": "", "log": null}'), {
    event: 'error',
    message: 'unknown error',
    log: null,
  });
});

test('anything else is a protocol error', () => {
  for (const line of [
    'Traceback (most recent call last):',
    '[1, 2]',
    '{"event": "started"}',
    '{"event": "ready", "url": "http://127.0.0.1:1"}',
    '{"event": "ready", "url": "http://example.com:80", "pid": 1}',
    '{"event": "ready", "url": "https://127.0.0.1:8000", "pid": 1}',
  ]) {
    assert.throws(() => parseLauncherLine(line), ProtocolError, line);
  }
});

test('lines are reassembled across chunks and CRLF', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(Buffer.from('{"event": "re')), []);
  assert.deepEqual(splitter.push(Buffer.from('ady"}\r\n\nsecond')), ['{"event": "ready"}']);
  assert.deepEqual(splitter.push('\n'), ['second']);
});
