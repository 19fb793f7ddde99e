'use strict';
// Entry point for electron-builder (`electron-builder --config electron-builder.config.js`).
// Everything is decided in packaging/builder-config.js; this file only reports the decisions.

const { createBuilderConfig } = require('./packaging/builder-config');

const { config, credentials, version, stageDir, layoutOnly } = createBuilderConfig({ env: process.env });

for (const warning of credentials.warnings) console.warn(`electron-builder config: ${warning}`);
if (layoutOnly) {
  console.warn(
    `electron-builder config: LAYOUT-ONLY rehearsal on the stand-in Electron at ${config.electronDist}: ` +
      'nothing built can run; every artifact is named ...-layout-only-...',
  );
}
console.log(
  `electron-builder config: version ${version}, backend from ${stageDir}; ` +
    `macOS ${credentials.macSigning ? 'signed' : 'unsigned'}` +
    `${credentials.notarization ? ` + notarized (${credentials.notarization})` : ''}, ` +
    `Windows ${credentials.winSigning ? 'signed' : 'unsigned'}`,
);

module.exports = config;
