'use strict';
// Reads and validates `runtime-manifest.json`, the stage contract (docs/stage.md).
//
// This mirrors the reference reader, desktop-django/src/desktop_django/manifest.py: the same
// checks in the same order, and every error names the same field (a JSON path such as
// `launcher.serve[1]`) or the file. Both readers run the shared vectors in
// tests/stage/vectors/, so a manifest one accepts and the other rejects is a test failure.
// No `electron` import: the supervision tests load this under plain Node.

const fs = require('node:fs');
const path = require('node:path');

const SCHEMA_VERSION = 2;
const MANIFEST_NAME = 'runtime-manifest.json';
const SHA256 = /^[0-9a-f]{64}$/;
const VERSION = /^\d+\.\d+\.\d+/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const REQUIRED_ENV = ['DESKTOP_DJANGO_APP_DATA_DIR', 'DESKTOP_DJANGO_AUTH_TOKEN'];

class ManifestError extends Error {
  constructor(message, { field = '', file = '' } = {}) {
    const where = file ? `${file}: ` : '';
    const at = field ? `field \`${field}\`: ` : '';
    super(`${where}${at}${message}`);
    this.name = 'ManifestError';
    this.field = field;
    this.file = file;
    this.detail = message;
  }
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const KIND_NAMES = { object: 'an object', array: 'an array', integer: 'an integer', string: 'a string' };

function hasKind(value, kind) {
  switch (kind) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    // JSON `true` is never a valid count or version (Python's bool-is-int trap, mirrored).
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

function get(obj, key, kind, parent) {
  const field = parent ? `${parent}.${key}` : key;
  if (!Object.prototype.hasOwnProperty.call(obj, key)) {
    throw new ManifestError('is missing', { field });
  }
  const value = obj[key];
  if (!hasKind(value, kind)) {
    throw new ManifestError(`must be ${KIND_NAMES[kind]}`, { field });
  }
  return value;
}

function text(obj, key, parent) {
  const value = get(obj, key, 'string', parent);
  if (!value.trim()) {
    throw new ManifestError('must not be empty', { field: `${parent}.${key}` });
  }
  return value;
}

function matching(obj, key, pattern, parent, wanted) {
  const value = get(obj, key, 'string', parent);
  if (!pattern.test(value)) {
    throw new ManifestError(`must be ${wanted}, not ${JSON.stringify(value)}`, {
      field: `${parent}.${key}`,
    });
  }
  return value;
}

function relativePath(obj, key, parent) {
  const value = text(obj, key, parent);
  const parts = value.split('/');
  const escapes = parts.includes('..');
  if (value.startsWith('/') || value.includes('\\') || escapes || /^[A-Za-z]:/.test(value)) {
    throw new ManifestError(
      `must be a relative path inside the stage using '/', not ${JSON.stringify(value)}`,
      { field: `${parent}.${key}` },
    );
  }
  return value;
}

/** Throw ManifestError for the first problem found, checking fields in a fixed order. */
function validate(data) {
  if (!isObject(data)) {
    throw new ManifestError('must be a JSON object', { field: '' });
  }
  const version = get(data, 'schemaVersion', 'integer', '');
  if (version !== SCHEMA_VERSION) {
    throw new ManifestError(
      `unsupported schema version ${version} (this reader knows ${SCHEMA_VERSION})`,
      { field: 'schemaVersion' },
    );
  }
  const app = get(data, 'app', 'object', '');
  text(app, 'name', 'app');
  text(app, 'id', 'app');
  matching(app, 'version', VERSION, 'app', 'a version like 1.2.3');
  const build = get(data, 'build', 'object', '');
  text(build, 'gitSha', 'build');
  text(build, 'timestamp', 'build');
  const python = get(data, 'python', 'object', '');
  matching(python, 'version', VERSION, 'python', 'a version like 3.13.1');
  relativePath(python, 'executable', 'python');
  text(python, 'platform', 'python');
  const launcher = get(data, 'launcher', 'object', '');
  text(launcher, 'module', 'launcher');
  for (const role of ['serve', 'worker']) {
    const argv = get(launcher, role, 'array', 'launcher');
    if (argv.length === 0) {
      throw new ManifestError('must not be empty', { field: `launcher.${role}` });
    }
    argv.forEach((item, index) => {
      if (typeof item !== 'string' || !item) {
        throw new ManifestError('must be a non-empty string', {
          field: `launcher.${role}[${index}]`,
        });
      }
    });
  }
  const names = get(launcher, 'env', 'array', 'launcher');
  names.forEach((name, index) => {
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      throw new ManifestError('must be an environment variable name', {
        field: `launcher.env[${index}]`,
      });
    }
  });
  for (const required of REQUIRED_ENV) {
    if (!names.includes(required)) {
      throw new ManifestError(`must list ${required}`, { field: 'launcher.env' });
    }
  }
  const paths = get(data, 'paths', 'object', '');
  relativePath(paths, 'staticfiles', 'paths');
  const size = get(data, 'size', 'object', '');
  for (const key of ['bytes', 'files']) {
    if (get(size, key, 'integer', 'size') < 0) {
      throw new ManifestError('must not be negative', { field: `size.${key}` });
    }
  }
  const index = get(data, 'index', 'object', '');
  relativePath(index, 'path', 'index');
  matching(index, 'sha256', SHA256, 'index', '64 lowercase hex characters');
}

/** `<os>-<arch>` spelled as the manifest (and Python's reader) spells it. */
function currentPlatform(platform = process.platform, arch = process.arch) {
  const system = { win32: 'windows', darwin: 'darwin' }[platform] || platform;
  const machine = { x64: 'x86_64', arm64: 'arm64', ia32: 'x86' }[arch] || arch;
  return `${system}-${machine}`;
}

/**
 * Load `<stageDir>/runtime-manifest.json`. With `checkFiles`, also refuse a stage built for
 * another platform and one whose interpreter is missing, so the shell can say so in a dialog
 * instead of failing later with a bare ENOENT.
 */
function load(stageDir, { checkFiles = true, platform = currentPlatform() } = {}) {
  const file = path.join(stageDir, MANIFEST_NAME);
  let raw;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') {
      throw new ManifestError('file is missing: run `nox -s stage` first', { file });
    }
    throw new ManifestError(`cannot read: ${error.message}`, { file });
  }
  let data;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new ManifestError(`not valid JSON (${error.message})`, { file });
  }
  try {
    validate(data);
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new ManifestError(error.detail, { field: error.field, file });
    }
    throw error;
  }
  const manifest = new RuntimeManifest(stageDir, data);
  if (checkFiles) {
    if (data.python.platform !== platform) {
      throw new ManifestError(
        `this stage was built for ${data.python.platform} and cannot run on ${platform}`,
        { field: 'python.platform', file },
      );
    }
    const executable = manifest.pythonExecutable;
    if (!isFile(executable)) {
      throw new ManifestError(`the interpreter ${executable} does not exist`, {
        field: 'python.executable',
        file,
      });
    }
  }
  return manifest;
}

function isFile(candidate) {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

class RuntimeManifest {
  constructor(stageDir, data) {
    this.stageDir = stageDir;
    this.data = data;
  }

  get appVersion() {
    return this.data.app.version;
  }

  get pythonExecutable() {
    return path.join(this.stageDir, ...this.data.python.executable.split('/'));
  }

  /** What to spawn for one role: the interpreter and its argv, exactly as the manifest says. */
  launch(role) {
    if (role !== 'serve' && role !== 'worker') {
      throw new Error(`unknown launcher role ${JSON.stringify(role)}`);
    }
    return { executable: this.pythonExecutable, args: [...this.data.launcher[role]] };
  }
}

module.exports = {
  MANIFEST_NAME,
  SCHEMA_VERSION,
  ManifestError,
  RuntimeManifest,
  currentPlatform,
  load,
  validate,
};
