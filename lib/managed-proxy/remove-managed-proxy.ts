import { getRuntime, type ContainerRuntime } from "../docker";
import { AppError } from "../errors";
import { operationLogger } from "../logger";
import { LABEL_PROXY, managedContainerName, managedVolumeName } from "../proxy/managed-caddy";

/**
 * Removes Wharf's Caddy container once the operator has confirmed it (issue
 * 24: switching away never removes it on its own). Its volume, with the
 * certificates and Caddy's local CA, is kept so that choosing the managed
 * proxy again does not re-issue everything or change the root to trust.
 */
export async function removeManagedProxy(opts: { runtime?: ContainerRuntime } = {}): Promise<{ removed: boolean; container: string; keptVolume: string }> {
  const rt = opts.runtime ?? getRuntime();
  const existing = await rt.inspectContainer(managedContainerName());
  if (!existing) return { removed: false, container: managedContainerName(), keptVolume: managedVolumeName() };
  if (existing.labels[LABEL_PROXY] !== "managed") {
    throw new AppError("FOREIGN_RESOURCE", `container ${managedContainerName()} is not Wharf's Caddy (no ${LABEL_PROXY}=managed label); Wharf leaves it alone`);
  }
  await rt.removeContainer(existing.id);
  operationLogger({ op: "managedProxy.remove", consumer: managedContainerName() }).step("removed", { id: existing.id });
  return { removed: true, container: managedContainerName(), keptVolume: managedVolumeName() };
}
