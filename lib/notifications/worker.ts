import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { env } from "../env";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { acquireLease, releaseLease, renewLease } from "../db/lease";
import { runOutbox } from "./deliver-outbox";
import { stopContainerWatch, watchServers } from "./watch-containers";

// The delivery worker: every WHARF_NOTIFY_POLL_MS, the process holding the
// "notifications" lease (one per cluster, whatever the number of replicas)
// runs one outbox pass. A process that dies loses the lease when it expires;
// the outbox rows it had not sent are still pending and the next holder sends them.
export const NOTIFY_LEASE = "notifications";
const LEASE_TTL_MS = 30_000;

type State = { timer?: NodeJS.Timeout; stopped: boolean; holder: string; held: boolean };
const g = globalThis as unknown as { __wharfNotifier?: State };

export function startNotifier(): boolean {
  if (g.__wharfNotifier) return false;
  const state: State = { stopped: false, holder: `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`, held: false };
  g.__wharfNotifier = state;
  const tick = async () => {
    try {
      state.held = state.held ? await renewLease(NOTIFY_LEASE, state.holder, LEASE_TTL_MS) : (await acquireLease(NOTIFY_LEASE, state.holder, LEASE_TTL_MS)).ok;
      // The engines' events are watched by the lease holder only, so two replicas never count one exit twice.
      if (state.held) {
        await watchServers();
        await runOutbox();
      } else stopContainerWatch();
    } catch (err) {
      logger.error({ op: "notify.worker", err: errorMessage(err) }, "notification pass failed");
    }
    if (state.stopped) return;
    state.timer = setTimeout(tick, env().WHARF_NOTIFY_POLL_MS);
    state.timer.unref();
  };
  void tick();
  logger.info({ op: "notify.worker" }, "notification worker started");
  return true;
}

export async function stopNotifier(): Promise<void> {
  const state = g.__wharfNotifier;
  if (!state) return;
  state.stopped = true;
  clearTimeout(state.timer);
  g.__wharfNotifier = undefined;
  stopContainerWatch();
  if (state.held) await releaseLease(NOTIFY_LEASE, state.holder);
}
