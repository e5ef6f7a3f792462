import { onStarted } from "../startup";
import { startUsageCollector } from "./collector";

onStarted("usage collector", async () => {
  startUsageCollector();
});
