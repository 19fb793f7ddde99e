// The splash only shows the startup status and, after a failure, offers the two folders that
// explain it. The Rust side owns everything else; these are the only IPC calls it allows here.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

function render(status) {
  if (!status || status.state !== "failed") {
    return;
  }
  document.body.classList.add("failed");
  // The backend's splash page shows progress as a status line and a bar: both give way.
  for (const progress of document.querySelectorAll('[role="status"], .track')) {
    progress.hidden = true;
  }
  document.getElementById("failed").hidden = false;
  // textContent, never innerHTML: the message comes from the backend's output.
  document.getElementById("failure-title").textContent = `${document.title} could not start.`;
  const where = status.logs ? `\n\nLogs: ${status.logs}` : "";
  document.getElementById("failure-message").textContent = `${status.message}${where}`;
}

function report(error) {
  render({ state: "failed", message: String(error), logs: "" });
}

document.getElementById("open-logs").addEventListener("click", () => {
  invoke("open_logs_folder").catch(report);
});
document.getElementById("open-app-data").addEventListener("click", () => {
  invoke("open_app_data_folder").catch(report);
});

// Listen first, then ask: a status that changes in between is not missed.
listen("startup-status", (event) => render(event.payload))
  .then(() => invoke("startup_status"))
  .then(render)
  .catch(report);
