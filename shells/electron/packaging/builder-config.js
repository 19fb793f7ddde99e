'use strict';
// The electron-builder configuration, computed from the environment by a pure function so
// that every credential combination and every option is unit-tested
// (test/unit/builder-config.test.js). electron-builder.config.js is the thin entry point.

const fs = require('node:fs');
const path = require('node:path');

const { REPO_ROOT, stageDir: defaultStageDir } = require('../src/main/stage-location');
const { detectCredentials } = require('./credentials');
const { isElectronDistStandin } = require('./electron-dist-standin');

const SHELL_DIR = path.resolve(__dirname, '..');
const APP_ID = 'org.desktop-django.flying-stable';
const ARTIFACT_NAME = '${name}-${os}-${version}-${arch}.${ext}'; // electron-builder macros
// Built from the stand-in Electron, nothing runs: every file name says so, and the release
// step reads that from the names (desktop_django_tools/release/artifacts.py).
const LAYOUT_ONLY = 'layout-only';
const LAYOUT_ONLY_ARTIFACT_NAME = '${name}-layout-only-${os}-${version}-${arch}.${ext}';
// The electron package's own switch for "an unpacked Electron elsewhere"; packaging reads
// the same one, so a carried-in Electron serves `nox -s dev-electron` and packaging alike.
const ELECTRON_DIST_VARIABLE = 'ELECTRON_OVERRIDE_DIST_PATH';
// Generated from assets/brand/flying-stable.svg by desktop_django_tools/icons.py (nox -s icons) (committed, checked by
// its tests); the window icon on Linux is read at run time, so it ships inside app.asar.
const ICONS = Object.freeze({
  mac: 'assets/icons/icon.icns',
  win: 'assets/icons/icon.ico',
  linux: 'assets/icons/png',
  window: 'assets/icons/png/512x512.png',
});
const GITHUB_SLUG = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

// The security baseline (docs/architecture.md): the binary refuses to be anything but this app.
const FUSES = Object.freeze({
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  enableCookieEncryption: true,
  // Only the splash is a file:// page, and it is static HTML: it needs no extra privileges.
  grantFileProtocolExtraPrivileges: false,
});

function readStageVersion(stageDir) {
  const file = path.join(stageDir, 'runtime-manifest.json');
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`no usable staged backend at ${stageDir} (${error.code || error.message}): run \`nox -s stage\` first`);
  }
  const version = data && data.app && data.app.version;
  if (typeof version !== 'string' || !version) {
    throw new Error(`${file}: field \`app.version\` is missing`);
  }
  return version;
}

/**
 * Updates come from GitHub Releases by default; DESKTOP_DJANGO_UPDATE_URL switches to a plain
 * HTTPS folder (the offline/air-gapped mirror). The owner/repo comes from
 * DESKTOP_DJANGO_GITHUB_REPOSITORY or GitHub Actions' GITHUB_REPOSITORY; without either,
 * electron-builder reads package.json's "repository" or the git remote.
 */
function publishConfig(env) {
  const url = (env.DESKTOP_DJANGO_UPDATE_URL || '').trim();
  if (url) {
    if (!/^https?:\/\//.test(url)) {
      throw new Error(`DESKTOP_DJANGO_UPDATE_URL must be an http(s) URL, not ${JSON.stringify(url)}`);
    }
    return [{ provider: 'generic', url }];
  }
  const slug = (env.DESKTOP_DJANGO_GITHUB_REPOSITORY || env.GITHUB_REPOSITORY || '').trim();
  const match = GITHUB_SLUG.exec(slug);
  if (slug && !match) {
    throw new Error(`the GitHub repository must look like owner/name, not ${JSON.stringify(slug)}`);
  }
  return [match ? { provider: 'github', owner: match[1], repo: match[2] } : { provider: 'github' }];
}

/** A local Electron distribution avoids a download: explicit, or the one npm installed. */
function electronDistFor(env, shellDir, platform) {
  const configured = (env[ELECTRON_DIST_VARIABLE] || '').trim();
  if (configured) return path.resolve(configured);
  const installed = path.join(shellDir, 'node_modules', 'electron', 'dist');
  const binary = { linux: 'electron', win32: 'electron.exe', darwin: 'Electron.app' }[platform];
  if (binary && fs.existsSync(path.join(installed, binary))) return installed;
  return undefined;
}

function macConfig(credentials) {
  const signed = credentials.macSigning;
  return {
    category: 'public.app-category.productivity',
    target: ['dmg', 'zip'],
    icon: ICONS.mac,
    // Signed builds get the hardened runtime that notarization requires. Unsigned builds are
    // signed ad hoc ('-') so Apple Silicon still launches them after the fuses changed the
    // binary; the hardened runtime would make that ad hoc signature refuse our own dylibs.
    identity: signed ? undefined : '-',
    hardenedRuntime: signed,
    gatekeeperAssess: false,
    entitlements: 'resources/entitlements.mac.plist',
    entitlementsInherit: 'resources/entitlements.mac.plist',
    notarize: Boolean(credentials.notarization),
  };
}

/**
 * @param {object} options
 * @param {object} options.env           environment (credentials, overrides)
 * @param {string} [options.stageDir]     the staged backend to ship
 * @param {string} [options.platform]     host platform, for the local Electron dist
 */
function createBuilderConfig({ env = process.env, stageDir, platform = process.platform } = {}) {
  const stage = stageDir ? path.resolve(stageDir) : defaultStageDir(env);
  const version = readStageVersion(stage);
  const credentials = detectCredentials(env);
  const electronDist = electronDistFor(env, SHELL_DIR, platform);
  const layoutOnly = Boolean(electronDist) && isElectronDistStandin(electronDist);
  // electron-builder's working folder (unpacked apps, its logs beside the artifacts); the
  // release folder dist/electron/<version>/ receives only the artifacts, moved there by
  // desktop_django_tools.shells.electron after the build.
  const output = env.DESKTOP_DJANGO_ELECTRON_OUT
    ? path.resolve(env.DESKTOP_DJANGO_ELECTRON_OUT)
    : path.join(REPO_ROOT, 'build', layoutOnly ? `electron-${LAYOUT_ONLY}` : 'electron', version);

  return {
    config: {
      appId: APP_ID,
      productName: 'Flying Stable',
      artifactName: layoutOnly ? LAYOUT_ONLY_ARTIFACT_NAME : ARTIFACT_NAME,
      // The product version is the backend's: one number for the whole app.
      extraMetadata: { version },
      directories: { output, buildResources: 'resources' },
      files: ['package.json', 'src/**/*.js', 'generated/splash.html', ICONS.window],
      extraResources: [{ from: stage, to: 'backend', filter: ['**/*'] }],
      asar: true,
      electronDist,
      electronFuses: { ...FUSES },
      // No native modules: nothing to rebuild, and a missing dependency must fail the build.
      npmRebuild: false,
      allowMissingDependencies: false,
      forceCodeSigning: false,
      publish: publishConfig(env),
      mac: macConfig(credentials),
      dmg: { writeUpdateInfo: false },
      win: { target: ['nsis'], icon: ICONS.win },
      nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
      linux: {
        target: ['AppImage', 'deb', 'tar.gz'],
        icon: ICONS.linux,
        category: 'Utility',
        maintainer: 'Desktop Django Starter maintainers',
        synopsis: 'A pony-care demo app: Django on the desktop',
      },
    },
    credentials,
    version,
    stageDir: stage,
    layoutOnly,
  };
}

module.exports = {
  APP_ID,
  ARTIFACT_NAME,
  ELECTRON_DIST_VARIABLE,
  FUSES,
  ICONS,
  LAYOUT_ONLY,
  LAYOUT_ONLY_ARTIFACT_NAME,
  createBuilderConfig,
  detectCredentials,
  publishConfig,
};
