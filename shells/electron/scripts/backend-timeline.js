'use strict';
// `node scripts/backend-timeline.js STAGE_DIR`: the part of Electron's start-up that runs in
// its main process, under plain Node (no Electron binary needed): the backend supervision as
// index.js drives it, from the stage's manifest to serve's ready line and the worker spawned,
// then a clean stop. With $DESKTOP_DJANGO_TIMELINE set, the milestones go to that file
// (src/main/timeline.js); the benchmark's timeline (bench/timeline.py) runs this.

const { BackendSupervisor, newSessionToken } = require('../src/main/backend');
const { planFromStage } = require('../src/main/launch-plan');
const timeline = require('../src/main/timeline');

async function main(stageDir) {
  timeline.mark('node-up');
  const appDataDir = process.env.DESKTOP_DJANGO_APP_DATA_DIR;
  if (!stageDir || !appDataDir) {
    throw new Error('usage: DESKTOP_DJANGO_APP_DATA_DIR=FOLDER node scripts/backend-timeline.js STAGE_DIR');
  }
  const plan = planFromStage(stageDir, 'staged');
  const supervisor = new BackendSupervisor({ plan, appDataDir, token: newSessionToken() });
  await supervisor.startServe();
  supervisor.startWorker();
  await supervisor.stop();
}

main(process.argv[2]).catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
