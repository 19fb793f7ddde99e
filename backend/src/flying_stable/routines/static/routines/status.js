// Keeps the routines table current while something is pending or running, and stops polling
// as soon as nothing is: an idle page costs the backend nothing.
"use strict";

const POLL_MS = 1000;

function notifyFinished(routine) {
  // Web Notifications only; where they are not allowed this silently does nothing.
  if (!("Notification" in window) || Notification.permission !== "granted") {
    return;
  }
  try {
    const outcome = routine.status === "done" ? "finished" : "failed";
    new Notification(`${routine.kind} ${outcome}`, { body: routine.result || "" });
  } catch (_error) {
    // Some web views expose the API but refuse construction: degrade silently.
  }
}

function renderRow(row, routine) {
  row.dataset.status = routine.status;
  const badge = row.querySelector('[data-field="status_label"]');
  badge.textContent = routine.status_label;
  badge.className = `badge badge-${routine.status}`;
  row.querySelector('[data-field="result"]').textContent = routine.result;
  row.querySelector('[data-field="duration_seconds"]').textContent =
    routine.duration_seconds === null ? "" : `${routine.duration_seconds} s`;
}

async function poll(table) {
  let active = 0;
  try {
    const response = await fetch(table.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(`status ${response.status}`);
    }
    const payload = await response.json();
    active = payload.active;
    for (const routine of payload.routines) {
      const row = table.querySelector(`tr[data-routine-id="${routine.id}"]`);
      if (!row) {
        continue;
      }
      const wasActive = ["pending", "running"].includes(row.dataset.status);
      renderRow(row, routine);
      if (wasActive && ["done", "failed"].includes(routine.status)) {
        notifyFinished(routine);
      }
    }
  } catch (_error) {
    active = 1; // a transient error: try again on the next tick
  }
  if (active > 0) {
    window.setTimeout(() => poll(table), POLL_MS);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("routine-table");
  const start = document.getElementById("start-routine");
  if (start && "Notification" in window && Notification.permission === "default") {
    // Ask on a user gesture, once; a refusal simply means no notifications.
    start.addEventListener("submit", () => Notification.requestPermission().catch(() => {}), {
      once: true,
    });
  }
  if (table && table.dataset.active === "true") {
    window.setTimeout(() => poll(table), POLL_MS);
  }
});
