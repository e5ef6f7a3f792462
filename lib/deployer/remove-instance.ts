import { db } from "../db";
import { removeConsumerDns } from "../dns/hooks";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { getSettings } from "../settings/get-settings";
import type { Instance } from "../generated/prisma/client";
import { withInstance } from "./instance-lease";
import { removeInstanceRoute } from "./instance-route";
import { transitionInstance } from "./transition-instance";

/**
 * SPEC §5: route, then DNS, then containers, then the row. A route or
 * container failure stops the removal with the instance `failed` (retry
 * removes the rest: every step is idempotent). DNS is best-effort: a record
 * that could not be deleted stays on the ledger for the reconciler.
 */
export function removeInstance(opts: { actor: Actor; id: string }): Promise<{ id: string; name: string; status: "removed"; dns: string }> {
  return withInstance(opts.id, "remove", (instance) => remove(instance, opts.actor));
}

async function remove(instance: Instance, actor: Actor): Promise<{ id: string; name: string; status: "removed"; dns: string }> {
  await transitionInstance(instance.id, "remove");
  const rt = getRuntime();
  try {
    const settings = await getSettings();
    await removeInstanceRoute({ instanceId: instance.id, settings });
    const dns = await removeConsumerDns({ consumer: { type: "instance", id: instance.id }, settings });
    for (const c of await rt.listManagedContainers({ instanceId: instance.id })) await rt.removeContainer(c.id);
    await transitionInstance(instance.id, "removed");
    await db.instance.delete({ where: { id: instance.id } });
    await recordEvent({ actor, action: "instance.remove", target: instance.name, result: "ok", message: dns.error ? `DNS: ${dns.error}` : null });
    return { id: instance.id, name: instance.name, status: "removed", dns: dns.status };
  } catch (err) {
    // The state write can fail too (the database is what failed): both errors go to the audit log.
    const stateError = await transitionInstance(instance.id, "remove_failed", { error: `remove failed: ${errorMessage(err)}` }).then(() => "", (e: unknown) => `; the instance could not be marked failed: ${errorMessage(e)}`);
    await recordEvent({ actor, action: "instance.remove", target: instance.name, result: "error", message: errorMessage(err) + stateError });
    throw err;
  }
}
