import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { clusterOf } from "../servers/cluster";
import { removeService } from "./service-rollout";
import { settingsFor } from "../servers/placement";
import { removeConsumerDns } from "../dns/hooks";
import { errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import type { Instance } from "../generated/prisma/client";
import { withInstance } from "./instance-lease";
import { removeInstanceRoute } from "./instance-route";
import { transitionInstance } from "./transition-instance";
import { deleteInstanceVolumes } from "./instance-volumes";
import { deleteRemovedInstanceDomains, markInstanceDomainsRemoving } from "../domains/remove-instance-domains";

/**
 * SPEC §5: route, then DNS, then containers, then the row. Custom domains
 * (SPEC §14) are marked removing first, leave with the route (their hosts and
 * the certificate policy naming them), and their rows go right after it. A route or
 * container failure stops the removal with the instance `failed` (retry
 * removes the rest: every step is idempotent). DNS is best-effort: a record
 * that could not be deleted stays on the ledger for the reconciler.
 * Volumes are kept (listed as kept volumes, attachable to a new instance)
 * unless the operator confirmed `deleteVolumes`; then, after the containers,
 * the instance's Wharf-labelled volumes go too.
 */
export function removeInstance(opts: { actor: Actor; id: string; deleteVolumes?: boolean }): Promise<TRemoved> {
  return withInstance(opts.id, "remove", (instance) => remove(instance, opts.actor, opts.deleteVolumes === true));
}

type TRemoved = { id: string; name: string; status: "removed"; dns: string; volumes: { deleted: string[]; kept: string[] } };

async function remove(instance: Instance, actor: Actor, deleteVolumes: boolean): Promise<TRemoved> {
  await transitionInstance(instance.id, "remove");
  const rt = await runtimeFor(instance.serverId);
  try {
    const settings = await settingsFor(instance);
    const domains = await markInstanceDomainsRemoving(instance.id);
    await removeInstanceRoute({ instanceId: instance.id, settings });
    await deleteRemovedInstanceDomains(instance.id);
    const dns = await removeConsumerDns({ consumer: { type: "instance", id: instance.id }, settings });
    const cluster = await clusterOf(instance);
    if (cluster) await removeService(cluster.swarm, instance.name);
    else for (const c of await rt.listManagedContainers({ instanceId: instance.id })) await rt.removeContainer(c.id);
    const volumes = await deleteInstanceVolumes({ instance, confirmed: deleteVolumes });
    await transitionInstance(instance.id, "removed");
    await db.instance.delete({ where: { id: instance.id } });
    const volumeNote = volumes.deleted.length ? `deleted volumes ${volumes.deleted.join(", ")}` : volumes.kept.length ? `kept volumes ${volumes.kept.join(", ")}` : null;
    const domainNote = domains.length ? `removed custom domains ${domains.join(", ")}` : null;
    const message = [dns.error ? `DNS: ${dns.error}` : null, domainNote, volumeNote].filter(Boolean).join("; ") || null;
    await recordEvent({ actor, action: "instance.remove", target: instance.name, result: "ok", message });
    return { id: instance.id, name: instance.name, status: "removed", dns: dns.status, volumes };
  } catch (err) {
    // The state write can fail too (the database is what failed): both errors go to the audit log.
    const stateError = await transitionInstance(instance.id, "remove_failed", { error: `remove failed: ${errorMessage(err)}` }).then(() => "", (e: unknown) => `; the instance could not be marked failed: ${errorMessage(e)}`);
    await recordEvent({ actor, action: "instance.remove", target: instance.name, result: "error", message: errorMessage(err) + stateError });
    throw err;
  }
}
