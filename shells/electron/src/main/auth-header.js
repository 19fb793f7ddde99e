'use strict';
// The session token travels only as a request header, added by the main process to requests
// whose protocol, host and port are exactly the backend's. It never reaches the preload, page
// JavaScript, a cookie or a URL, so a script injected into a page has nothing to steal, and a
// request to any other origin (a link, an image, a redirect) goes out without it.

const { isBackendUrl } = require('./origin');

const TOKEN_HEADER = 'X-Desktop-Django-Token';

/** The headers to send for `url`: the token for the backend, and never for anyone else. */
function headersFor(url, requestHeaders, backend, token) {
  const headers = {};
  for (const [name, value] of Object.entries(requestHeaders || {})) {
    // Drop any copy a page tried to set itself, whatever its case: only we decide.
    if (name.toLowerCase() !== TOKEN_HEADER.toLowerCase()) headers[name] = value;
  }
  if (isBackendUrl(url, backend)) headers[TOKEN_HEADER] = token;
  return headers;
}

/** Electron allows one onBeforeSendHeaders listener per session: this is it. */
function installAuthHeader(session, { backend, token }) {
  session.webRequest.onBeforeSendHeaders((details, callback) => {
    callback({ requestHeaders: headersFor(details.url, details.requestHeaders, backend, token) });
  });
}

module.exports = { TOKEN_HEADER, headersFor, installAuthHeader };
