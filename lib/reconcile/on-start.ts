import { onStarted } from "../startup";
import { startScheduler } from "./scheduler";

onStarted("sync scheduler", async () => {
  startScheduler();
});
