'use strict';
// Which signing and notarization credentials the environment holds, as complete sets.
//
// A build without credentials must still work (unsigned), and a half-configured machine must
// not fail halfway through a release: a partial set is reported by name and treated as absent.
// Only names are read here; values are never logged or copied into the config.

const NOTARIZATION_SETS = [
  { name: 'Apple ID', vars: ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'] },
  { name: 'App Store Connect API key', vars: ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'] },
  { name: 'notarytool keychain profile', vars: ['APPLE_KEYCHAIN_PROFILE'] },
];

const present = (env, name) => typeof env[name] === 'string' && env[name].trim() !== '';

/** @returns {{macSigning: boolean, winSigning: boolean, notarization: string|null, warnings: string[]}} */
function detectCredentials(env) {
  const warnings = [];
  // electron-builder signs macOS with CSC_LINK (a .p12) or CSC_NAME (an identity in the
  // keychain), Windows with WIN_CSC_LINK or, failing that, CSC_LINK.
  const macSigning = present(env, 'CSC_LINK') || present(env, 'CSC_NAME');
  const winSigning = present(env, 'WIN_CSC_LINK') || present(env, 'CSC_LINK');

  let notarization = null;
  for (const set of NOTARIZATION_SETS) {
    const have = set.vars.filter((name) => present(env, name));
    if (have.length === set.vars.length) {
      notarization = notarization || set.name;
    } else if (have.length > 0) {
      const missing = set.vars.filter((name) => !present(env, name));
      warnings.push(`notarization (${set.name}) is incomplete, missing ${missing.join(', ')}: not notarizing`);
    }
  }
  if (notarization && !macSigning) {
    warnings.push('notarization credentials are set but no signing identity (CSC_LINK or CSC_NAME): not notarizing');
    notarization = null;
  }
  return { macSigning, winSigning, notarization, warnings };
}

module.exports = { NOTARIZATION_SETS, detectCredentials };
