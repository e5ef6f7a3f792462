import type { ContainerInfo, ContainerRuntime } from "../../lib/docker/types";

/**
 * An in-memory ContainerRuntime for tests that are not about Docker (the DNS
 * reconcile): it knows the containers it is given and nothing else.
 */
export function fakeRuntime(containers: ContainerInfo[] = []): ContainerRuntime & { containers: ContainerInfo[] } {
  const find = (id: string) => containers.find((c) => c.id === id || c.name === id) ?? null;
  return {
    containers,
    ping: async () => ({ ok: true, version: "fake" }),
    imageExists: async () => true,
    pullImage: async () => undefined,
    imageInfo: async () => ({ id: "sha256:fake", repoDigests: [] }),
    imageHasHealthcheck: async () => false,
    ensureNetwork: async () => undefined,
    createContainer: async () => {
      throw new Error("fakeRuntime cannot create containers");
    },
    startContainer: async (id) => {
      const c = find(id);
      if (c) c.state = "running";
    },
    stopContainer: async (id) => {
      const c = find(id);
      if (c) c.state = "exited";
    },
    removeContainer: async (id) => {
      const i = containers.findIndex((c) => c.id === id);
      if (i >= 0) containers.splice(i, 1);
    },
    inspectContainer: async (id) => find(id),
    listManagedContainers: async (f) => containers.filter((c) => c.labels["wharf.managed"] === "true" && (!f?.instanceId || c.labels["wharf.instance"] === f.instanceId)),
    ensureVolume: async (name, labels) => ({ name, labels, createdAt: null, sizeBytes: null, refCount: null }),
    inspectVolume: async () => null,
    listManagedVolumes: async () => [],
    removeVolume: async () => undefined,
    containerStats: async () => null,
    containerLogs: async function* () {},
  };
}
