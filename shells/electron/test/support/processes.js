'use strict';
// Is a process really gone? kill(pid, 0) also succeeds for zombies (a parent that has not
// reaped yet, or a container init that never does), so on Linux /proc tells the state too.

const fs = require('node:fs');

function procStat(pid) {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code === 'ESRCH') return false;
  }
  if (process.platform === 'linux') {
    const stat = procStat(pid);
    return stat !== null && stat.state !== 'Z';
  }
  return true;
}

/** Live (non-zombie) members of a process group, Linux only. */
function groupMembers(pgid) {
  if (process.platform !== 'linux') return [];
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const stat = procStat(pid);
      return stat && stat.pgid === pgid && stat.state !== 'Z';
    });
}

/** Live descendants of pid (children, grandchildren…), Linux only. */
function descendants(root) {
  if (process.platform !== 'linux') return [];
  const parents = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.state !== 'Z') parents.set(Number(name), stat.ppid);
  }
  const found = [];
  let frontier = [root];
  while (frontier.length) {
    const next = [];
    for (const [pid, ppid] of parents) if (frontier.includes(ppid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

async function waitUntil(predicate, { timeoutMs = 5000, intervalMs = 25 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return Boolean(await predicate());
}

module.exports = { descendants, groupMembers, isAlive, procStat, waitUntil };
