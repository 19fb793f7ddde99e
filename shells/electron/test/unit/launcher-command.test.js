'use strict';
// The launcher's other commands: serve's argv with the command swapped in, and the answer
// read from the last JSON object on stdout (the real commands run in test/integration).

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { LauncherCommandError, lastJsonObject, launcherCommand, runLauncherCommand } = require('../../src/main/launcher-command');

const plan = { executable: '/s/python/bin/python3', serveArgs: ['-I', '-m', 'flying_stable.desktop', 'serve'], cwd: '/s' };

test("serve's argv with the command in place of serve; anything else is refused", () => {
  assert.deepEqual(launcherCommand(plan, ['backend-update', 'apply', '/media/x.layer']), {
    executable: '/s/python/bin/python3',
    args: ['-I', '-m', 'flying_stable.desktop', 'backend-update', 'apply', '/media/x.layer'],
    cwd: '/s',
  });
  assert.throws(() => launcherCommand({ ...plan, serveArgs: ['-m', 'x', 'worker'] }, ['status']), LauncherCommandError);
});

test('the answer is the last JSON object printed', () => {
  assert.deepEqual(lastJsonObject('warming up\n{"event": "progress"}\n{"event": "update-applied", "version": "0.2.0"}\n'), {
    event: 'update-applied',
    version: '0.2.0',
  });
  assert.equal(lastJsonObject('no json here\n[1, 2]\n{broken\n'), null);
});

test("an error line rejects with the command's own message; a failed exit with stderr's last line", async () => {
  const fake = (stdout, stderr, error) => (_file, _args, _options, callback) => callback(error, stdout, stderr);
  await assert.rejects(
    runLauncherCommand(plan, {}, ['backend-update', 'apply', 'x'], { run: fake('{"event": "error", "message": "the signature is missing"}\n', '', new Error('exit 1')) }),
    { name: 'LauncherCommandError', message: 'the signature is missing' },
  );
  await assert.rejects(
    runLauncherCommand(plan, {}, ['backend-update', 'status'], { run: fake('', 'Traceback\nModuleNotFoundError: No module named x\n', new Error('exit 1')) }),
    { message: 'ModuleNotFoundError: No module named x' },
  );
  assert.deepEqual(await runLauncherCommand(plan, {}, ['backend-update', 'status'], { run: fake('{"event": "update-status"}\n', '', null) }), {
    event: 'update-status',
  });
});
