import { envNumber } from "../env";
import { every, stopEvery } from "../scheduler/every";
import { pingServers } from "./fleet";

// The server monitor (SPEC §16): every remote server pinged in parallel, each
// under its own deadline, its status (`up`/`down`), last-seen time and engine
// version recorded on its row. Health, the dashboard and the instance views
// read those rows; nothing is failed, moved or deleted because a server is down.
const KEY = "__wharfServerMonitor";

export const serverMonitorOnStart = {
  name: "server monitor",
  run: async (): Promise<void> => {
    startServerMonitor();
  },
};

export function startServerMonitor(): boolean {
  return every({ key: KEY, intervalMs: () => envNumber("WHARF_SERVER_CHECK_MS", 15_000), run: pingServers, op: "servers", failed: "server check failed" });
}

export function stopServerMonitor(): void {
  stopEvery(KEY);
}
