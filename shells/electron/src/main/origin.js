'use strict';
// The backend origin and the one question every guard asks: "is this URL the backend?"
//
// Exact protocol + host + port equality, never a prefix or suffix test: `127.0.0.1:8000.evil`
// or a different port on the same host is another origin, and must never receive the token.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

function parse(url) {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Validate the URL from the ready line and freeze it into an origin. The launcher binds a
 * loopback address itself; anything else means the line did not come from our backend.
 */
function parseBackendOrigin(url) {
  const parsed = parse(url);
  if (!parsed) {
    throw new Error(`the backend reported an invalid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:') {
    throw new Error(`the backend URL must use http, not ${parsed.protocol}`);
  }
  if (!LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new Error(`the backend URL must be on a loopback address, not ${parsed.hostname}`);
  }
  // Port 0 means "let the OS pick" when binding; a server never listens on it.
  if (!parsed.port || parsed.port === '0') {
    throw new Error('the backend URL must name its port');
  }
  if (parsed.username || parsed.password) {
    throw new Error('the backend URL must not carry credentials');
  }
  return Object.freeze({
    protocol: parsed.protocol,
    hostname: parsed.hostname,
    port: parsed.port,
    origin: parsed.origin,
    home: `${parsed.origin}/`,
  });
}

function isBackendUrl(url, backend) {
  if (!backend) return false;
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === backend.protocol &&
    parsed.hostname === backend.hostname &&
    parsed.port === backend.port
  );
}

module.exports = { parseBackendOrigin, isBackendUrl };
