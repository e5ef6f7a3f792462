import { onStarted } from "../startup";
import { recoverInstances } from "./recover-instances";

// Registers the deployer's start-up step: finish or compensate operations a crash interrupted.
onStarted("recover deploys", async () => {
  await recoverInstances();
});
