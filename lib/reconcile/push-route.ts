import type { ConsumerRef } from "../naming";
import { db } from "../db";
import { upstreamFor } from "../deployer/container-plan";
import { ensureInstanceRoute } from "../deployer/instance-route";
import { runtimeFor } from "../servers/server-runtime";
import { settingsFor } from "../servers/placement";
import { pushProxyRoute } from "../standalone-proxies/proxy-certificate";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";

/**
 * A consumer's route pushed again from its row as it stands now, TLS policy
 * included: the infrastructure pass's repair of a standalone proxy's route,
 * and the certificate pass's after a TLS wish or certificate changed. The
 * caller holds the consumer's lease.
 */
export async function pushRoute(consumer: ConsumerRef, settings: TSettings, provider: ProxyProvider): Promise<void> {
  if (consumer.type === "standalone") return pushProxyRoute({ id: consumer.id, settings, provider });
  const inst = await db.instance.findUnique({ where: { id: consumer.id } });
  const info = inst?.containerId ? await (await runtimeFor(inst.serverId)).inspectContainer(inst.containerId) : null;
  if (!inst || !info) throw new Error(`instance ${consumer.id} has no container to route to`);
  const placed = await settingsFor(inst, settings);
  await ensureInstanceRoute({ instance: inst, upstream: upstreamFor(placed, info, inst.port), settings: placed });
}
