'use strict';
// The Node reader against the shared vectors the Python reference reader also runs
// (tests/stage/test_manifest_vectors.py): same verdicts, same field named in each error.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');

const { ManifestError, currentPlatform, load, validate } = require('../../src/main/manifest');
const { VECTORS_DIR } = require('../support/paths');
const { makeTempDir } = require('../support/temp');

const vectors = (kind) =>
  fs
    .readdirSync(path.join(VECTORS_DIR, kind))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, data: JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, kind, name), 'utf8')) }));

describe('shared manifest vectors', () => {
  test('there are enough vectors to mean something', () => {
    assert.ok(vectors('valid').length >= 3);
    assert.ok(vectors('invalid').length >= 20);
  });

  for (const { name, data } of vectors('valid')) {
    test(`valid: ${name}`, () => {
      assert.doesNotThrow(() => validate(data));
    });
  }

  for (const { name, data } of vectors('invalid')) {
    test(`invalid: ${name} (${data.description})`, () => {
      assert.throws(
        () => validate(data.manifest),
        (error) => {
          assert.ok(error instanceof ManifestError, `not a ManifestError: ${error}`);
          assert.equal(error.field, data.field);
          if (data.field) assert.match(error.message, new RegExp(`\`${data.field.replace(/[[\].]/g, '\\$&')}\``));
          return true;
        },
      );
    });
  }
});

function writeStage(manifest, { withInterpreter = true } = {}) {
  const dir = makeTempDir('stage-');
  fs.writeFileSync(path.join(dir, 'runtime-manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  if (withInterpreter && typeof manifest === 'object') {
    const executable = path.join(dir, ...manifest.python.executable.split('/'));
    fs.mkdirSync(path.dirname(executable), { recursive: true });
    fs.writeFileSync(executable, '');
  }
  return dir;
}

function hereManifest() {
  const base = vectors('valid').find((vector) => vector.name === 'minimal-linux.json').data;
  return { ...base, python: { ...base.python, platform: currentPlatform() } };
}

describe('load', () => {
  test('a valid stage gives the interpreter inside the stage and the argv from the manifest', () => {
    const manifest = hereManifest();
    const dir = writeStage(manifest);
    const stage = load(dir);
    assert.equal(stage.pythonExecutable, path.join(dir, 'python', 'bin', 'python3'));
    assert.deepEqual(stage.launch('serve'), {
      executable: path.join(dir, 'python', 'bin', 'python3'),
      args: ['-I', '-m', 'flying_stable.desktop', 'serve'],
    });
    assert.deepEqual(stage.launch('worker').args, ['-I', '-m', 'flying_stable.desktop', 'worker']);
    assert.equal(stage.appVersion, '0.1.0');
  });

  test('a missing manifest names the file and says how to make it', () => {
    const dir = makeTempDir('stage-');
    assert.throws(() => load(dir), (error) => {
      assert.equal(error.file, path.join(dir, 'runtime-manifest.json'));
      assert.match(error.message, /file is missing: run `nox -s stage` first/);
      return true;
    });
  });

  test('broken JSON names the file', () => {
    const dir = writeStage('{"schemaVersion": 2,');
    assert.throws(() => load(dir), /runtime-manifest\.json: not valid JSON/);
  });

  test('an invalid field is reported with the file and the field', () => {
    const manifest = hereManifest();
    manifest.launcher = { ...manifest.launcher, serve: ['-I', ''] };
    const dir = writeStage(manifest);
    assert.throws(() => load(dir), (error) => {
      assert.equal(error.field, 'launcher.serve[1]');
      assert.ok(error.message.startsWith(`${path.join(dir, 'runtime-manifest.json')}: field \`launcher.serve[1]\`: `));
      return true;
    });
  });

  test('a stage for another platform is refused before anything is spawned', () => {
    const manifest = hereManifest();
    manifest.python = { ...manifest.python, platform: 'plan9-mips' };
    assert.throws(() => load(writeStage(manifest)), (error) => error.field === 'python.platform' && /built for plan9-mips/.test(error.message));
  });

  test('a missing interpreter is named', () => {
    const dir = writeStage(hereManifest(), { withInterpreter: false });
    assert.throws(() => load(dir), (error) => error.field === 'python.executable' && /does not exist/.test(error.message));
  });

  test('currentPlatform spells platforms like the Python reader', () => {
    assert.equal(currentPlatform('linux', 'x64'), 'linux-x86_64');
    assert.equal(currentPlatform('darwin', 'arm64'), 'darwin-arm64');
    assert.equal(currentPlatform('win32', 'x64'), 'windows-x86_64');
  });
});
