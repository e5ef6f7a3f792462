import { recordEvent, type Actor } from "../audit/record-event";
import { db } from "../db";
import { removeConsumerDns } from "../dns/hooks";
import { errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { getProxyRow } from "./get-proxy";
import { currentLease, withConsumer } from "../consumers/consumer-lease";
import { fenced } from "../db/lease";

/**
 * Route, then DNS, then the row (SPEC §6). If the route cannot be removed
 * nothing else is touched, so the row still describes what the proxy serves.
 * A DNS failure does not stop the delete: the ledger row stays `failed` and
 * the reconciler deletes it once its consumer is gone.
 */
export async function deleteProxy(opts: { actor: Actor; id: string }): Promise<void> {
  let target: string = opts.id;
  const consumer = { type: "standalone" as const, id: opts.id };
  const op = operationLogger({ op: "proxy.delete", consumer: `standalone:${opts.id}` });
  try {
    await withConsumer({ consumer, operation: "proxy.delete", label: `standalone proxy ${opts.id}` }, async () => {
      const row = await getProxyRow({ id: opts.id });
      target = row.domain;
      const settings = await getSettings();
      const provider = getProxyProvider(settings);
      if (provider) {
        await provider.removeRoute(routeId("standalone", row.id));
        op.step("route", { provider: provider.type });
      }
      const dns = await removeConsumerDns({ consumer, settings });
      op.step("dns", { status: dns.status });
      await fenced(currentLease(), (tx) => tx.standaloneProxy.delete({ where: { id: row.id } }));
      op.step("row");
      const note = dns.status === "failed" ? `DNS record not removed (the reconciler retries): ${dns.error}` : null;
      await recordEvent({ actor: opts.actor, action: "proxy.delete", target, result: "ok", message: note });
    });
  } catch (err) {
    op.fail("delete", err);
    await recordEvent({ actor: opts.actor, action: "proxy.delete", target, result: "error", message: errorMessage(err) });
    throw err;
  }
}
