'use strict';
// Build-time asset the app carries inside app.asar, written to generated/ (not committed):
// splash.html, the backend's own splash page, copied so it shows from disk before the server
// is up (never a remote URL, never the stage's site-packages layout). A file has no response
// headers, so the copy carries the CSP the backend sends with the same page
// (flying_stable/pages/splash.py: inline styles allowed by hash, nothing else) as a <meta>.
// The icons are not made here: desktop_django_tools/icons.py (nox -s icons) generates assets/icons/ for every shell.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SHELL_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(SHELL_DIR, '..', '..');
const SPLASH_SOURCE = path.join(REPO_ROOT, 'backend', 'src', 'flying_stable', 'pages', 'splash.html');

/** The backend's splash CSP, computed the same way: one sha256 source per <style> block. */
function splashCsp(html) {
  const hashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (match) => `'sha256-${crypto.createHash('sha256').update(match[1], 'utf8').digest('base64')}'`,
  );
  return `default-src 'none'; img-src data:; style-src ${hashes.join(' ')}`;
}

function withCspMeta(html) {
  const charset = '<meta charset="utf-8">';
  if (!html.includes(charset)) throw new Error(`the splash page has no ${charset} to anchor the CSP`);
  const meta = `<meta http-equiv="Content-Security-Policy" content="${splashCsp(html)}">`;
  return html.replace(charset, `${charset}\n${meta}`);
}

function prepareAssets(outDir = path.join(SHELL_DIR, 'generated')) {
  fs.mkdirSync(outDir, { recursive: true });
  const splash = path.join(outDir, 'splash.html');
  fs.writeFileSync(splash, withCspMeta(fs.readFileSync(SPLASH_SOURCE, 'utf8')));
  return { splash };
}

if (require.main === module) {
  const written = prepareAssets();
  console.log(`prepared ${path.relative(SHELL_DIR, written.splash)}`);
}

module.exports = { SPLASH_SOURCE, prepareAssets, splashCsp, withCspMeta };
