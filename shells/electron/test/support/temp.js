'use strict';
// Temporary folders that are removed when the test process exits, pass or fail.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const created = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

module.exports = { makeTempDir };
