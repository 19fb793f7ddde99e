'use strict';
// The electron-builder config under every credential combination. Secrets are fake strings:
// only their presence matters, and the config must never contain their values.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');

const {
  ARTIFACT_NAME,
  ICONS,
  LAYOUT_ONLY_ARTIFACT_NAME,
  createBuilderConfig,
  detectCredentials,
  publishConfig,
} = require('../../packaging/builder-config');
const { createElectronDistStandin } = require('../../packaging/electron-dist-standin');
const { REPO_ROOT, SHELL_DIR } = require('../support/paths');
const { makeTempDir } = require('../support/temp');

function fakeStage(version = '1.4.2') {
  const dir = makeTempDir('stage-');
  fs.writeFileSync(path.join(dir, 'runtime-manifest.json'), JSON.stringify({ app: { version } }));
  return dir;
}

const build = (env = {}, stageDir = fakeStage()) => createBuilderConfig({ env, stageDir, platform: 'linux' });

const APPLE_ID = { APPLE_ID: 'dev@example.invalid', APPLE_APP_SPECIFIC_PASSWORD: 'x', APPLE_TEAM_ID: 'T' };
const API_KEY = { APPLE_API_KEY: '/k.p8', APPLE_API_KEY_ID: 'K', APPLE_API_ISSUER: 'I' };

describe('credentials', () => {
  const cases = [
    { name: 'none', env: {}, mac: false, win: false, notarization: null, warnings: 0 },
    { name: 'CSC_LINK', env: { CSC_LINK: 'cert.p12' }, mac: true, win: true, notarization: null, warnings: 0 },
    { name: 'CSC_NAME', env: { CSC_NAME: 'Developer ID Application: X' }, mac: true, win: false, notarization: null, warnings: 0 },
    { name: 'WIN_CSC_LINK', env: { WIN_CSC_LINK: 'win.p12' }, mac: false, win: true, notarization: null, warnings: 0 },
    { name: 'signing + Apple ID', env: { CSC_LINK: 'c', ...APPLE_ID }, mac: true, win: true, notarization: 'Apple ID', warnings: 0 },
    { name: 'signing + API key', env: { CSC_LINK: 'c', ...API_KEY }, mac: true, win: true, notarization: 'App Store Connect API key', warnings: 0 },
    { name: 'signing + keychain profile', env: { CSC_NAME: 'n', APPLE_KEYCHAIN_PROFILE: 'p' }, mac: true, win: false, notarization: 'notarytool keychain profile', warnings: 0 },
    { name: 'signing + partial Apple ID', env: { CSC_LINK: 'c', APPLE_ID: 'a' }, mac: true, win: true, notarization: null, warnings: 1 },
    { name: 'Apple ID without signing', env: { ...APPLE_ID }, mac: false, win: false, notarization: null, warnings: 1 },
    { name: 'blank values count as absent', env: { CSC_LINK: '  ', APPLE_ID: '' }, mac: false, win: false, notarization: null, warnings: 0 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const found = detectCredentials(c.env);
      assert.equal(found.macSigning, c.mac);
      assert.equal(found.winSigning, c.win);
      assert.equal(found.notarization, c.notarization);
      assert.equal(found.warnings.length, c.warnings, found.warnings.join('; '));
    });
  }

  test('a partial set names exactly what is missing', () => {
    const { warnings } = detectCredentials({ CSC_LINK: 'c', APPLE_ID: 'a' });
    assert.match(warnings[0], /missing APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID/);
  });
});

describe('macOS signing and notarization in the config', () => {
  test('without credentials: ad hoc signature, no hardened runtime, no notarization (an unsigned build works)', () => {
    const { mac } = build({}).config;
    assert.equal(mac.identity, '-');
    assert.equal(mac.hardenedRuntime, false);
    assert.equal(mac.notarize, false);
    assert.deepEqual(mac.target, ['dmg', 'zip']);
  });

  test('with a certificate: hardened runtime and entitlements, notarization only with a complete set', () => {
    const signed = build({ CSC_LINK: 'c' }).config.mac;
    assert.equal(signed.identity, undefined);
    assert.equal(signed.hardenedRuntime, true);
    assert.equal(signed.entitlements, 'resources/entitlements.mac.plist');
    assert.equal(signed.notarize, false);
    assert.equal(build({ CSC_LINK: 'c', ...APPLE_ID }).config.mac.notarize, true);
    assert.equal(build({ CSC_LINK: 'c', APPLE_ID: 'a' }).config.mac.notarize, false);
  });

  test('secret values never end up in the config', () => {
    const secret = 'very-secret-value-123';
    const { config } = build({ CSC_LINK: secret, CSC_KEY_PASSWORD: secret, APPLE_ID: secret, APPLE_APP_SPECIFIC_PASSWORD: secret, APPLE_TEAM_ID: secret });
    assert.ok(!JSON.stringify(config).includes(secret));
  });
});

describe('layout, names and hardening', () => {
  test('the staged backend ships as resources/backend, and the version is the backend version', () => {
    const stage = fakeStage('2.3.4');
    const { config, version } = build({}, stage);
    assert.equal(version, '2.3.4');
    assert.deepEqual(config.extraMetadata, { version: '2.3.4' });
    assert.deepEqual(config.extraResources, [{ from: stage, to: 'backend', filter: ['**/*'] }]);
    // electron-builder works in build/; only the artifacts move on to the release folder.
    assert.equal(config.directories.output, path.join(REPO_ROOT, 'build', 'electron', '2.3.4'));
  });

  test('the stage comes from DESKTOP_DJANGO_STAGE_DIR when no folder is passed', () => {
    const stage = fakeStage('3.0.0');
    const { stageDir, version } = createBuilderConfig({ env: { DESKTOP_DJANGO_STAGE_DIR: stage }, platform: 'linux' });
    assert.equal(stageDir, stage);
    assert.equal(version, '3.0.0');
  });

  test('artifacts are named <product>-<os>-<version>-<arch>.<ext>', () => {
    assert.equal(build().config.artifactName, ARTIFACT_NAME);
    assert.equal(ARTIFACT_NAME, '${name}-${os}-${version}-${arch}.${ext}');
  });

  test('targets per platform', () => {
    const { config } = build();
    assert.deepEqual(config.linux.target, ['AppImage', 'deb', 'tar.gz']);
    assert.deepEqual(config.win.target, ['nsis']);
  });

  test('every icon the config names exists (nox -s icons output)', () => {
    const { config } = build();
    for (const icon of [config.mac.icon, config.win.icon, config.linux.icon, ICONS.window]) {
      assert.ok(fs.existsSync(path.join(SHELL_DIR, icon)), `${icon} is missing: run nox -s icons`);
    }
    assert.ok(config.files.includes(ICONS.window), 'the window icon must ship inside app.asar');
  });

  test('fuses: no run-as-node, NODE_OPTIONS or inspect; asar only, with integrity; encrypted cookies', () => {
    const fuses = build().config.electronFuses;
    assert.equal(fuses.runAsNode, false);
    assert.equal(fuses.enableNodeOptionsEnvironmentVariable, false);
    assert.equal(fuses.enableNodeCliInspectArguments, false);
    assert.equal(fuses.onlyLoadAppFromAsar, true);
    assert.equal(fuses.enableEmbeddedAsarIntegrityValidation, true);
    assert.equal(fuses.enableCookieEncryption, true);
  });

  test('a missing stage is reported with the command that makes it', () => {
    const empty = makeTempDir('nostage-');
    assert.throws(() => build({}, empty), /no usable staged backend .* run `nox -s stage` first/);
  });

  test('overrides: output folder, and an unpacked Electron through ELECTRON_OVERRIDE_DIST_PATH (as for dev runs)', () => {
    const { config, layoutOnly } = build({ DESKTOP_DJANGO_ELECTRON_OUT: '/tmp/out', ELECTRON_OVERRIDE_DIST_PATH: '/tmp/electron-dist' });
    assert.equal(config.directories.output, path.resolve('/tmp/out'));
    assert.equal(config.electronDist, path.resolve('/tmp/electron-dist'));
    assert.equal(layoutOnly, false);
    assert.equal(config.artifactName, ARTIFACT_NAME);
  });

  test('built on the stand-in Electron, every artifact name and the working folder say layout-only', () => {
    const standin = createElectronDistStandin(makeTempDir('standin-'), '45.0.0');
    const { config, layoutOnly } = build({ ELECTRON_OVERRIDE_DIST_PATH: standin }, fakeStage('2.3.4'));
    assert.equal(layoutOnly, true);
    assert.equal(config.artifactName, LAYOUT_ONLY_ARTIFACT_NAME);
    assert.match(LAYOUT_ONLY_ARTIFACT_NAME, /^\$\{name\}-layout-only-/);
    assert.equal(config.directories.output, path.join(REPO_ROOT, 'build', 'electron-layout-only', '2.3.4'));
  });
});

describe('update feed', () => {
  test('GitHub Releases by default, owner/repo from the environment when given', () => {
    assert.deepEqual(publishConfig({}), [{ provider: 'github' }]);
    assert.deepEqual(publishConfig({ GITHUB_REPOSITORY: 'acme/stable' }), [{ provider: 'github', owner: 'acme', repo: 'stable' }]);
    assert.deepEqual(publishConfig({ GITHUB_REPOSITORY: 'a/b', DESKTOP_DJANGO_GITHUB_REPOSITORY: 'c/d' }), [{ provider: 'github', owner: 'c', repo: 'd' }]);
  });

  test('a generic URL through DESKTOP_DJANGO_UPDATE_URL', () => {
    assert.deepEqual(publishConfig({ DESKTOP_DJANGO_UPDATE_URL: 'https://updates.example.invalid/stable/' }), [
      { provider: 'generic', url: 'https://updates.example.invalid/stable/' },
    ]);
    assert.equal(build({ DESKTOP_DJANGO_UPDATE_URL: 'https://u.example.invalid/' }).config.publish[0].provider, 'generic');
  });

  test('malformed values are refused, not guessed', () => {
    assert.throws(() => publishConfig({ DESKTOP_DJANGO_UPDATE_URL: 'ftp://x' }), /http\(s\) URL/);
    assert.throws(() => publishConfig({ GITHUB_REPOSITORY: 'not a slug' }), /owner\/name/);
  });
});
