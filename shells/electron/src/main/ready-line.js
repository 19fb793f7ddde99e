'use strict';
// The launcher's stdout protocol (docs/architecture.md): exactly one JSON line, either
// {"event": "ready", "url": ..., "pid": N} or {"event": "error", "message": ..., "log": ...}.
// A serve that rolled back a failed backend update adds `rolledBack` to its ready line
// (docs/backend-updates.md, section 3): {"from", "to", "log", "keptDatabase"}.

const { parseBackendOrigin } = require('./origin');

class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Interpret the first stdout line. Returns {event:'ready', backend, pid} or {event:'error', ...}. */
function parseLauncherLine(line) {
  let payload;
  try {
    payload = JSON.parse(line);
  } catch {
    throw new ProtocolError(`the backend printed something other than its protocol line: ${clip(line)}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ProtocolError(`the backend protocol line is not an object: ${clip(line)}`);
  }
  if (payload.event === 'ready') {
    if (!Number.isInteger(payload.pid) || payload.pid <= 0) {
      throw new ProtocolError('the ready line has no valid pid');
    }
    let backend;
    try {
      backend = parseBackendOrigin(payload.url);
    } catch (error) {
      throw new ProtocolError(error.message);
    }
    return { event: 'ready', backend, pid: payload.pid, rolledBack: parseRolledBack(payload.rolledBack) };
  }
  if (payload.event === 'error') {
    const message = typeof payload.message === 'string' && payload.message ? payload.message : 'unknown error';
    const log = typeof payload.log === 'string' && payload.log ? payload.log : null;
    return { event: 'error', message, log };
  }
  throw new ProtocolError(`unknown protocol event ${JSON.stringify(payload.event)}`);
}

/** The rolledBack report, or null when there is none. Only from and to are required. */
function parseRolledBack(report) {
  if (report === undefined || report === null) return null;
  const isText = (value) => typeof value === 'string' && value !== '';
  if (typeof report !== 'object' || Array.isArray(report) || !isText(report.from) || !isText(report.to)) {
    throw new ProtocolError(`the ready line's rolledBack is not {"from", "to", ...}: ${clip(JSON.stringify(report))}`);
  }
  return {
    from: report.from,
    to: report.to,
    log: isText(report.log) ? report.log : null,
    keptDatabase: isText(report.keptDatabase) ? report.keptDatabase : null,
  };
}

/** The one sentence the user sees after a rollback (the same words in every shell). */
function rollbackMessage(rolledBack) {
  const log = rolledBack.log || "the app's logs folder";
  return `Backend ${rolledBack.from} failed to start; you are back on ${rolledBack.to}. Details: ${log}`;
}

function clip(text) {
  const oneLine = String(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

/**
 * Collect stdout chunks and hand back complete lines. The protocol line may arrive split
 * across chunks (pipes do not preserve writes), so never parse a chunk directly.
 */
class LineSplitter {
  constructor() {
    this.pending = '';
  }

  push(chunk) {
    this.pending += chunk.toString('utf8');
    const lines = this.pending.split(/\r?\n/);
    this.pending = lines.pop();
    return lines.filter((line) => line.trim() !== '');
  }
}

module.exports = { LineSplitter, ProtocolError, parseLauncherLine, rollbackMessage };
