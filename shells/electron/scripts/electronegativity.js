'use strict';
// Run @doyensec/electronegativity over what ships in app.asar (main, preload, the splash page)
// and fail on any finding of MEDIUM severity or higher that the committed allowlist does not
// justify. electronegativity's CLI exits 0 whatever it finds, so it is called through its
// programmatic API, which returns the findings as objects.
//
// An allowlist entry matches a check in a file (not a line: lines move) and must say why the
// finding is acceptable and which test proves the mitigation. Entries that match nothing fail
// too, so the list cannot silently outlive the code it excuses.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SHELL_DIR = path.resolve(__dirname, '..');
const ALLOWLIST = path.join(SHELL_DIR, 'electronegativity-allowlist.json');
const BLOCKING = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);

/**
 * One finding, from an issue as electronegativity's runner returns it (`{id, file, location:
 * {line, column}, severity: {name}, confidence: {name}, description}`); `file` is relative
 * to the scanned folder, with forward slashes on every OS.
 */
function toFinding(issue) {
  const location = issue.location ? `${issue.location.line}:${issue.location.column}` : '0:0';
  return {
    check: issue.id,
    severity: String(issue.severity && issue.severity.name).toUpperCase(),
    confidence: String(issue.confidence && issue.confidence.name).toUpperCase(),
    file: String(issue.file).replace(/\\/g, '/'),
    location,
    description: issue.description,
  };
}

/**
 * The findings of one run. A file electronegativity could not parse was not checked at all,
 * so that fails the gate rather than passing it unseen; parser warnings it tolerates are kept
 * as informational lines.
 */
function findingsOf(result) {
  if (!result || !Array.isArray(result.issues) || !Array.isArray(result.errors)) {
    throw new Error('electronegativity returned no result (expected {issues, errors})');
  }
  const unparsed = result.errors.filter((error) => !error.tolerable);
  if (unparsed.length > 0) {
    const list = unparsed.map((error) => `${error.file}: ${error.message}`).join('; ');
    throw new Error(`electronegativity could not parse ${unparsed.length} file(s), so they were not checked: ${list}`);
  }
  return { findings: result.issues.map(toFinding), warnings: result.errors.map((error) => `${error.file}: ${error.message}`) };
}

function validateAllowlist(entries) {
  if (!Array.isArray(entries)) throw new Error('the allowlist must be a JSON array');
  for (const [index, entry] of entries.entries()) {
    for (const key of ['check', 'file', 'justification', 'provenBy']) {
      if (typeof entry[key] !== 'string' || entry[key].trim() === '') {
        throw new Error(`allowlist entry ${index} needs a non-empty "${key}"`);
      }
    }
  }
  return entries;
}

/** Split findings into blocking / allowed / informational, and report unused entries. */
function judge(findings, allowlist) {
  const used = new Set();
  const result = { blocking: [], allowed: [], informational: [], unusedEntries: [] };
  for (const finding of findings) {
    if (!BLOCKING.has(finding.severity)) {
      result.informational.push(finding);
      continue;
    }
    const index = allowlist.findIndex((entry) => entry.check === finding.check && entry.file === finding.file);
    if (index === -1) {
      result.blocking.push(finding);
    } else {
      used.add(index);
      result.allowed.push({ ...finding, justification: allowlist[index].justification });
    }
  }
  result.unusedEntries = allowlist.filter((_entry, index) => !used.has(index));
  return result;
}

/** Copy exactly what ships into a scratch folder, so node_modules and tests are not scanned. */
function scanTree() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
  fs.copyFileSync(path.join(SHELL_DIR, 'package.json'), path.join(root, 'package.json'));
  fs.cpSync(path.join(SHELL_DIR, 'src'), path.join(root, 'src'), { recursive: true });
  const splash = path.join(SHELL_DIR, 'generated', 'splash.html');
  if (!fs.existsSync(splash)) throw new Error('generated/splash.html is missing: run `npm run prepare-assets` first');
  fs.mkdirSync(path.join(root, 'generated'));
  fs.copyFileSync(splash, path.join(root, 'generated', 'splash.html'));
  return root;
}

async function runElectronegativity(root) {
  const run = require('@doyensec/electronegativity');
  const electronVersion = require('electron/package.json').version;
  // The runner returns the issues as objects when called from code (its CLI prints and
  // writes CSV instead); `isRelative` makes each file relative to `root`, as the allowlist is.
  return run({ input: root, isRelative: true, electronVersionOverride: electronVersion });
}

async function main() {
  const root = scanTree();
  let verdict;
  let warnings;
  try {
    const allowlist = validateAllowlist(JSON.parse(fs.readFileSync(ALLOWLIST, 'utf8')));
    const result = findingsOf(await runElectronegativity(root));
    warnings = result.warnings;
    verdict = judge(result.findings, allowlist);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  for (const warning of warnings) console.log(`parser   ${warning}`);
  const show = (finding) => `${finding.check} [${finding.severity}/${finding.confidence}] ${finding.file}:${finding.location}`;
  for (const finding of verdict.informational) console.log(`info     ${show(finding)}`);
  for (const finding of verdict.allowed) console.log(`allowed  ${show(finding)}\n         why: ${finding.justification}`);
  for (const finding of verdict.blocking) console.log(`BLOCKING ${show(finding)}: ${finding.description}`);
  for (const entry of verdict.unusedEntries) console.log(`UNUSED   allowlist entry ${entry.check} in ${entry.file} matches no finding: remove it`);
  const failed = verdict.blocking.length + verdict.unusedEntries.length;
  console.log(
    `electronegativity: ${verdict.blocking.length} blocking, ${verdict.allowed.length} allowed by ` +
      `electronegativity-allowlist.json, ${verdict.informational.length} below MEDIUM, ` +
      `${verdict.unusedEntries.length} unused allowlist entries`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`electronegativity: ${error.message}`);
    process.exitCode = 1;
  });
}

module.exports = { BLOCKING, findingsOf, judge, runElectronegativity, toFinding, validateAllowlist };
