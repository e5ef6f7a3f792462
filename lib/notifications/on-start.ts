import { onStarted } from "../startup";
import { startNotifier } from "./worker";

onStarted("notifications", async () => {
  startNotifier();
});
