import { db } from "../db";
import { getRuntime } from "../docker";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_MANAGED, labelOwner, parseRouteId } from "../naming";
import { installationId } from "../secrets";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { withConsumer } from "../consumers/consumer-lease";

// Orphans are removed only on an operator's request, and only after checking
// again, under the owning consumer's lease, that they are Wharf's and that no row claims them.

export async function removeOrphanContainer(opts: { actor: Actor; id: string }): Promise<void> {
  const rt = getRuntime();
  const c = await rt.inspectContainer(opts.id);
  if (!c) throw new AppError("NOT_FOUND", `container ${opts.id} not found`);
  if (c.labels[LABEL_MANAGED] !== "true") throw new AppError("FOREIGN_RESOURCE", `container ${c.name} is not labelled ${LABEL_MANAGED}=true: Wharf does not remove it`);
  const who = labelOwner(c.labels, installationId());
  if (who === "other") throw new AppError("FOREIGN_RESOURCE", `container ${c.name} belongs to Wharf installation ${c.labels[LABEL_INSTALLATION]}, not this one: Wharf does not remove it`);
  if (who === "legacy") throw new AppError("FOREIGN_RESOURCE", `container ${c.name} carries no ${LABEL_INSTALLATION} label (made before installations were recorded) and no instance of this installation names it: it may be another installation's, so Wharf does not remove it`);
  const owner = c.labels[LABEL_INSTANCE];
  const remove = async () => {
    if (owner && (await db.instance.findUnique({ where: { id: owner } }))) throw new AppError("CONFLICT", `container ${c.name} belongs to an existing instance: remove the instance instead`);
    await rt.removeContainer(c.id);
  };
  // Under the owner's lease, so a deploy that is making this container right now is not undercut.
  if (owner) await withConsumer({ consumer: { type: "instance", id: owner }, operation: "orphan.remove" }, remove);
  else await remove();
  await recordEvent({ actor: opts.actor, action: "orphan.container.remove", target: c.name, result: "ok" });
}

export async function removeOrphanRoute(opts: { actor: Actor; id: string }): Promise<void> {
  const owner = parseRouteId(opts.id);
  if (!owner) throw new AppError("FOREIGN_RESOURCE", `route ${opts.id} is not a Wharf route: Wharf does not remove it`);
  await withConsumer({ consumer: owner, operation: "orphan.remove" }, async () => {
    const exists = owner.type === "instance" ? await db.instance.findUnique({ where: { id: owner.id } }) : await db.standaloneProxy.findUnique({ where: { id: owner.id } });
    if (exists) throw new AppError("CONFLICT", `route ${opts.id} belongs to an existing ${owner.type}`);
    const provider = getProxyProvider(await getSettings());
    if (!provider) throw new AppError("CONFLICT", "no proxy provider is configured");
    const route = (await provider.listRoutes()).find((r) => r.id === opts.id);
    if (route && route.installation !== undefined && route.installation !== installationId()) {
      const whose = route.installation === null ? "carries no installation (made before installations were recorded), so it may be another installation's" : `belongs to Wharf installation ${route.installation}`;
      throw new AppError("FOREIGN_RESOURCE", `route ${opts.id} ${whose}: Wharf does not remove it`);
    }
    await provider.removeRoute(opts.id);
  });
  await recordEvent({ actor: opts.actor, action: "orphan.route.remove", target: opts.id, result: "ok" });
}
