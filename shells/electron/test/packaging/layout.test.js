'use strict';
// Runs electron-builder for Linux (dir + tar.gz) offline and checks what a user would receive:
// the staged backend at resources/backend (every file, byte for byte, runnable from there),
// every main-process module and everything it requires inside app.asar, the fuses written
// into the executable, and the artifact name.
//
// The Electron distribution is the real one when npm could install it, otherwise the
// electron-dist-standin (packaging/electron-dist-standin.js): the layout and the fuse step
// are proven either way, and a stand-in build is named layout-only throughout; launching
// Electron is test/e2e's job. desktop-django/tests/tools/release/test_layout_only_rehearsal.py
// takes the same kind of build on through the release step and verify.py.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { builtinModules, createRequire } = require('node:module');
const path = require('node:path');
const http = require('node:http');
const { after, before, describe, test } = require('node:test');

const asar = require('@electron/asar');
const { FuseV1Options, getCurrentFuseWire } = require('@electron/fuses');

const { FUSES } = require('../../packaging/builder-config');
const { TOKEN_HEADER } = require('../../src/main/auth-header');
const { BackendSupervisor, newSessionToken } = require('../../src/main/backend');
const { planFromStage } = require('../../src/main/launch-plan');
const { prepareAssets } = require('../../scripts/prepare-assets');
const { MARKER: STANDIN_MARKER, createElectronDistStandin } = require('../../packaging/electron-dist-standin');
const { SHELL_DIR, stageDir: configuredStageDir } = require('../support/paths');
const { requireStage } = require('../support/requirements');

const electronVersion = require('electron/package.json').version;
const packageName = require('../../package.json').name;
const { makeTempDir } = require('../support/temp');

// Fuse option names as electron-builder spells them → @electron/fuses indices.
const FUSE_INDEX = {
  runAsNode: FuseV1Options.RunAsNode,
  enableCookieEncryption: FuseV1Options.EnableCookieEncryption,
  enableNodeOptionsEnvironmentVariable: FuseV1Options.EnableNodeOptionsEnvironmentVariable,
  enableNodeCliInspectArguments: FuseV1Options.EnableNodeCliInspectArguments,
  enableEmbeddedAsarIntegrityValidation: FuseV1Options.EnableEmbeddedAsarIntegrityValidation,
  onlyLoadAppFromAsar: FuseV1Options.OnlyLoadAppFromAsar,
  loadBrowserProcessSpecificV8Snapshot: FuseV1Options.LoadBrowserProcessSpecificV8Snapshot,
  grantFileProtocolExtraPrivileges: FuseV1Options.GrantFileProtocolExtraPrivileges,
};

function realElectronDist() {
  const dist = path.join(SHELL_DIR, 'node_modules', 'electron', 'dist');
  return fs.existsSync(path.join(dist, 'electron')) ? dist : null;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function get(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
  });
}

/** Follow require() of string literals from `entry` through our own files, inside `root`. */
function requireClosure(root, entry) {
  const seen = new Set();
  const packages = new Set();
  const problems = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    const load = createRequire(file);
    for (const [, spec] of source.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      if (spec === 'electron' || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      let resolved;
      try {
        resolved = load.resolve(spec);
      } catch {
        problems.push(`${path.relative(root, file)} requires ${spec}, which is not in app.asar`);
        continue;
      }
      if (!resolved.startsWith(root + path.sep)) {
        problems.push(`${path.relative(root, file)} requires ${spec}, resolved outside app.asar: ${resolved}`);
      } else if (spec.startsWith('.')) {
        visit(resolved);
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  visit(entry);
  return { files: seen, packages, problems };
}

/** Every package's non-optional dependencies, transitively, must be installed in app.asar. */
function missingDependencies(root, packages) {
  const missing = [];
  const queue = [...packages].map((name) => ({ name, from: root }));
  const done = new Set();
  while (queue.length) {
    const { name, from } = queue.shift();
    let manifestPath;
    try {
      manifestPath = createRequire(path.join(from, 'noop.js')).resolve(`${name}/package.json`);
    } catch {
      missing.push(`${name} (needed by ${path.relative(root, from) || 'the app'})`);
      continue;
    }
    if (done.has(manifestPath)) continue;
    done.add(manifestPath);
    const pkg = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    for (const dep of Object.keys(pkg.dependencies || {})) queue.push({ name: dep, from: path.dirname(manifestPath) });
  }
  return missing;
}

// This checks the Linux layout, which builds offline; on macOS and Windows it is skipped
// rather than cross-built (their packages need their own OS for signing and tools).
const notLinux = process.platform !== 'linux' && 'the layout test builds the Linux package';

describe('packaged Linux layout (electron-builder --linux dir tar.gz)', { timeout: 600_000, skip: notLinux }, () => {
  const work = makeTempDir('electron-package-');
  const out = path.join(work, 'out');
  let stageDir = null;
  let unpacked;
  let resources;
  let extracted;
  let usedStandin = false;

  before(() => {
    // Each test checks the stage itself (skip locally, fail in CI); build only when there is one.
    if (!fs.existsSync(path.join(configuredStageDir(), 'runtime-manifest.json'))) return;
    stageDir = configuredStageDir();
    prepareAssets();
    let electronDist = realElectronDist();
    if (!electronDist) {
      electronDist = createElectronDistStandin(work, electronVersion);
      usedStandin = true;
    }
    console.log(`# electron-builder with ${usedStandin ? 'the electron-dist-standin (layout only)' : 'the installed Electron'}: ${electronDist}`);
    const env = {
      ...process.env,
      DESKTOP_DJANGO_STAGE_DIR: stageDir,
      ELECTRON_OVERRIDE_DIST_PATH: electronDist,
      DESKTOP_DJANGO_ELECTRON_OUT: out,
      CSC_IDENTITY_AUTO_DISCOVERY: 'false',
    };
    for (const name of ['CSC_LINK', 'CSC_NAME', 'WIN_CSC_LINK', 'APPLE_ID', 'APPLE_API_KEY', 'APPLE_KEYCHAIN_PROFILE']) delete env[name];
    if (!env.ELECTRON_BUILDER_7ZIP_PATH && fs.existsSync('/usr/bin/7za')) env.ELECTRON_BUILDER_7ZIP_PATH = '/usr/bin/7za';
    const cli = require.resolve('electron-builder/cli.js');
    const run = spawnSync(
      process.execPath,
      [cli, '--linux', 'dir', 'tar.gz', '--x64', '--config', 'electron-builder.config.js', '--publish', 'never'],
      { cwd: SHELL_DIR, env, encoding: 'utf8', timeout: 540_000 },
    );
    if (run.status !== 0) {
      throw new Error(`electron-builder failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    }
    unpacked = path.join(out, 'linux-unpacked');
    resources = path.join(unpacked, 'resources');
    extracted = path.join(work, 'app-asar');
    asar.extractAll(path.join(resources, 'app.asar'), extracted);
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('the staged backend is at resources/backend, every file byte for byte', (t) => {
    if (!requireStage(t)) return;
    const backend = path.join(resources, 'backend');
    const manifest = JSON.parse(fs.readFileSync(path.join(backend, 'runtime-manifest.json'), 'utf8'));
    const indexFile = path.join(backend, manifest.index.path);
    assert.equal(sha256(indexFile), manifest.index.sha256, 'the file index does not match the manifest');
    const entries = fs.readFileSync(indexFile, 'utf8').split('\n').filter(Boolean);
    assert.ok(entries.length > 100);
    const wrong = [];
    for (const line of entries) {
      const [hash, relative] = [line.slice(0, 64), line.slice(66)];
      const file = path.join(backend, ...relative.split('/'));
      if (!fs.existsSync(file) || sha256(file) !== hash) wrong.push(relative);
    }
    assert.deepEqual(wrong, [], `missing or altered in the package: ${wrong.slice(0, 10).join(', ')}`);
    const interpreter = path.join(backend, ...manifest.python.executable.split('/'));
    assert.ok(fs.statSync(interpreter).mode & 0o111, 'the interpreter lost its executable bit');
  });

  test('the packaged backend starts from resources/backend and answers with the token', { timeout: 120_000 }, async (t) => {
    if (!requireStage(t)) return;
    const token = newSessionToken();
    const supervisor = new BackendSupervisor({
      plan: planFromStage(path.join(resources, 'backend'), 'packaged'),
      appDataDir: makeTempDir('packaged-data-'),
      token,
    });
    try {
      const { backend } = await supervisor.startServe();
      assert.equal(await get(`${backend.origin}/health/`, { [TOKEN_HEADER]: token }), 200);
      assert.equal(await get(`${backend.origin}/health/`, {}), 403);
    } finally {
      await supervisor.stop();
    }
  });

  test('every main-process module, the preload and the splash are in app.asar, and nothing main requires is missing', (t) => {
    if (!requireStage(t)) return;
    const ownModules = fs.readdirSync(path.join(SHELL_DIR, 'src', 'main')).filter((name) => name.endsWith('.js'));
    for (const name of ownModules) assert.ok(fs.existsSync(path.join(extracted, 'src', 'main', name)), `src/main/${name} missing`);
    assert.ok(fs.existsSync(path.join(extracted, 'src', 'preload', 'preload.js')));
    assert.ok(fs.existsSync(path.join(extracted, 'generated', 'splash.html')));
    assert.ok(fs.existsSync(path.join(extracted, 'assets', 'icons', 'png', '512x512.png')));

    const pkg = JSON.parse(fs.readFileSync(path.join(extracted, 'package.json'), 'utf8'));
    const main = path.join(extracted, pkg.main);
    const closure = requireClosure(extracted, main);
    assert.deepEqual(closure.problems, []);
    // The closure reaches every module (nothing in src/main is dead or unreachable from main).
    const reached = [...closure.files].map((file) => path.relative(extracted, file)).sort();
    assert.deepEqual(reached, ownModules.map((name) => path.join('src', 'main', name)).sort());
    assert.ok(closure.packages.has('electron-updater'));
    assert.deepEqual(missingDependencies(extracted, closure.packages), []);
    // Tests, tooling and the development dependencies stay out of the shipped app.
    assert.equal(fs.existsSync(path.join(extracted, 'test')), false);
    assert.equal(fs.existsSync(path.join(extracted, 'node_modules', 'electron-builder')), false);
    assert.equal(fs.existsSync(path.join(extracted, 'node_modules', 'electron')), false);
  });

  test('the executable carries the configured fuses', async (t) => {
    if (!requireStage(t)) return;
    const wire = await getCurrentFuseWire(path.join(unpacked, packageName));
    for (const [option, wanted] of Object.entries(FUSES)) {
      const state = String.fromCharCode(wire[FUSE_INDEX[option]]);
      assert.equal(state, wanted ? '1' : '0', `${option} should be ${wanted ? 'on' : 'off'}`);
    }
    if (usedStandin) console.log('# fuses: verified on the electron-dist-standin wire (the fuse step ran with our config)');
  });

  test('a stand-in build carries the stand-in marker into the package; a real one does not', (t) => {
    if (!requireStage(t)) return;
    assert.equal(fs.existsSync(path.join(unpacked, STANDIN_MARKER)), usedStandin);
  });

  test('the tar.gz is named <product>-linux-<version>-x64.tar.gz (…-layout-only-… on the stand-in) and holds the same app', (t) => {
    if (!requireStage(t)) return;
    const version = JSON.parse(fs.readFileSync(path.join(stageDir, 'runtime-manifest.json'), 'utf8')).app.version;
    const name = `${packageName}-${usedStandin ? 'layout-only-' : ''}linux-${version}-x64`;
    const built = fs.readdirSync(out).filter((entry) => entry.endsWith('.tar.gz'));
    assert.deepEqual(built, [`${name}.tar.gz`]);
    const archive = path.join(out, `${name}.tar.gz`);
    assert.ok(fs.existsSync(archive), `${archive} was not built`);
    const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
    for (const entry of [`${name}/${packageName}`, `${name}/resources/app.asar`, `${name}/resources/backend/runtime-manifest.json`]) {
      assert.ok(listing.includes(entry), `${entry} is not in the archive`);
    }
  });
});
