'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { test } = require('node:test');

const { killTree, spawnOptions, treeKillCommand } = require('../../src/main/process-tree');
const { isAlive, waitUntil } = require('../support/processes');

test('Windows kills the tree with taskkill /t /f; POSIX uses process groups', () => {
  assert.deepEqual(treeKillCommand(1234, 'win32'), { command: 'taskkill', args: ['/pid', '1234', '/t', '/f'] });
  assert.equal(treeKillCommand(1234, 'linux'), null);
  assert.equal(spawnOptions({ cwd: '/', env: {}, platform: 'linux' }).detached, true);
  assert.equal(spawnOptions({ cwd: '/', env: {}, platform: 'win32' }).detached, false);
  assert.deepEqual(spawnOptions({ cwd: '/', env: {}, platform: 'linux' }).stdio, ['pipe', 'pipe', 'pipe']);
});

test('killTree reaches a grandchild that ignores SIGTERM', { skip: process.platform === 'win32' && 'POSIX process groups' }, async () => {
  // The child starts a grandchild in the same group, prints its pid, and both ignore SIGTERM.
  const script = `
    process.on('SIGTERM', () => {});
    const { spawn } = require('node:child_process');
    const grandchild = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    console.log(grandchild.pid);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], spawnOptions({ cwd: process.cwd(), env: process.env }));
  const grandchildPid = await new Promise((resolve) => child.stdout.once('data', (data) => resolve(Number(String(data).trim()))));
  assert.ok(isAlive(child.pid) && isAlive(grandchildPid));
  await killTree(child.pid, { termGraceMs: 300 });
  assert.ok(await waitUntil(() => !isAlive(child.pid) && !isAlive(grandchildPid), { timeoutMs: 3000 }));
});

test('killTree of a group that is already gone is a no-op', async () => {
  const child = spawn(process.execPath, ['-e', '0'], spawnOptions({ cwd: process.cwd(), env: process.env }));
  await new Promise((resolve) => child.on('exit', resolve));
  await killTree(child.pid, { exited: true, termGraceMs: 50 });
});
