'use strict';
// Run @doyensec/electronegativity over what ships in app.asar (main, preload, the splash page)
// and fail on any finding of MEDIUM severity or higher that the committed allowlist does not
// justify. electronegativity itself exits 0 whatever it finds, so its CSV report is parsed.
//
// An allowlist entry matches a check in a file (not a line: lines move) and must say why the
// finding is acceptable and which test proves the mitigation. Entries that match nothing fail
// too, so the list cannot silently outlive the code it excuses.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const SHELL_DIR = path.resolve(__dirname, '..');
const ALLOWLIST = path.join(SHELL_DIR, 'electronegativity-allowlist.json');
const BLOCKING = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);

/**
 * Parse CSV with quoted fields. Quoted fields may hold commas, doubled quotes and newlines
 * (electronegativity puts multi-line code samples in the "sample" column).
 */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field.trim());
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field.trim());
      if (row.some((value) => value !== '')) rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }
  row.push(field.trim());
  if (row.some((value) => value !== '')) rows.push(row);
  return rows;
}

function parseReport(csv) {
  const [header, ...rows] = parseCsv(csv);
  if (!header) throw new Error('electronegativity wrote an empty report');
  const names = header.map((name) => name.toLowerCase());
  const column = (name) => {
    const index = names.indexOf(name);
    if (index === -1) throw new Error(`electronegativity report has no "${name}" column: ${header.join(',')}`);
    return index;
  };
  const [issue, severity, confidence, filename, location, description] = [
    'issue', 'severity', 'confidence', 'filename', 'location', 'description',
  ].map(column);
  return rows.map((fields) => {
    if (fields.length !== header.length) {
      throw new Error(`electronegativity report row has ${fields.length} fields, expected ${header.length}: ${fields.join(',')}`);
    }
    return {
      check: fields[issue],
      severity: fields[severity].toUpperCase(),
      confidence: fields[confidence].toUpperCase(),
      file: fields[filename].replace(/\\/g, '/'),
      location: fields[location],
      description: fields[description],
    };
  });
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

function runElectronegativity(root) {
  const report = path.join(root, 'electronegativity.csv');
  const cli = require.resolve('@doyensec/electronegativity/dist/index.js');
  const electronVersion = require('electron/package.json').version;
  const run = spawnSync(process.execPath, [cli, '-i', root, '-o', report, '-r', '-e', electronVersion], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (run.status !== 0 || !fs.existsSync(report)) {
    throw new Error(`electronegativity failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  return fs.readFileSync(report, 'utf8');
}

// electronegativity now and then writes a mangled row (the start of a line overwritten by
// the end of another: about one run in a dozen here). A malformed report proves nothing
// either way, so the tool runs again; only a well-formed report is judged.
const REPORT_ATTEMPTS = 3;

function readFindings(root) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return parseReport(runElectronegativity(root));
    } catch (error) {
      if (!String(error.message).startsWith('electronegativity report row') || attempt === REPORT_ATTEMPTS) {
        throw error;
      }
      console.log(`electronegativity wrote a malformed report (${error.message.slice(0, 80)}…); running it again`);
    }
  }
}

function main() {
  const root = scanTree();
  let verdict;
  try {
    const findings = readFindings(root);
    const allowlist = validateAllowlist(JSON.parse(fs.readFileSync(ALLOWLIST, 'utf8')));
    verdict = judge(findings, allowlist);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
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

if (require.main === module) main();

module.exports = { BLOCKING, judge, parseCsv, parseReport, validateAllowlist };
