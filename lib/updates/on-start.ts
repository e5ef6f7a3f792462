import { onStarted } from "../startup";
import { startUpdateScheduler } from "./update-scheduler";

onStarted("update scheduler", async () => {
  startUpdateScheduler();
});
