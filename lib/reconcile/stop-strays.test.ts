import { describe, expect, it } from "vitest";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { db } from "../db";
import type { ContainerInfo, ContainerRuntime } from "../docker/types";
import { containerLabels } from "../naming";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";
import type { InstanceRepair, SkippedConsumer } from "./report";
import { stopStrayContainers } from "./stop-strays";

// The leftover pass (issue 27) against in-memory engines: what counts as a
// leftover, and that a server that stalls holds up none of the others (the
// real engines: stray-containers.it.test.ts).
const container = (id: string, instanceId: string, over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id, name: `c-${id}`, image: "x", state: "running", health: null, exitCode: null, labels: containerLabels(instanceId, "d1", installationId()), publishedPort: 32000, startedAt: null, error: null, ...over,
});
const sink = (): InstanceRepair & { skipped: SkippedConsumer[] } => ({ containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 }, lines: [], skipped: [] });

async function fixture() {
  const server = await db.server.create({ data: { name: `b-${Math.random().toString(36).slice(2, 8)}`, transport: "tls", address: "198.18.0.11", port: 2376, upstreamAddress: "198.18.0.11", credentials: "x" } });
  const inst = await db.instance.create({ data: { name: `moved-${server.name}`, image: "x", subdomain: `moved-${server.name}`, port: 8080, status: "running", serverId: server.id, containerId: "current" } });
  return { server, inst };
}

describe("stopStrayContainers", () => {
  it("stops (never removes) a running container of an instance that lives on another server; leaves the rest alone", async () => {
    const { server, inst } = await fixture();
    const local = fakeRuntime([
      container("stray", inst.id),
      container("stopped", inst.id, { state: "exited" }),
      container("foreign", inst.id, { labels: { ...containerLabels(inst.id, "d1", "another-installation") } }),
      container("task", inst.id, { labels: { ...containerLabels(inst.id, "d1", installationId()), "com.docker.swarm.task.id": "t1" } }),
      container("no-row", "gone-instance"),
    ]);
    const remote = fakeRuntime([container("current", inst.id)]);
    const res = sink();
    await stopStrayContainers({ servers: [{ id: null, name: "local", rt: local }, { id: server.id, name: server.name, rt: remote }], settings: await getSettings(), dryRun: false, res });
    expect(local.containers.map((c) => [c.id, c.state])).toEqual([["stray", "exited"], ["stopped", "exited"], ["foreign", "running"], ["task", "running"], ["no-row", "running"]]);
    expect(remote.containers[0].state).toBe("running");
    expect(res.lines).toEqual([expect.objectContaining({ name: "c-stray", action: "stop", status: "ok", message: expect.stringContaining(`runs on ${server.name} now; it was still running there: stopped, not removed`) })]);
  });

  it("a dry run plans; the instance's own current container is never a leftover (one engine under two names)", async () => {
    const { server, inst } = await fixture();
    const local = fakeRuntime([container("stray2", inst.id), container("current", inst.id)]);
    const res = sink();
    await stopStrayContainers({ servers: [{ id: null, name: "local", rt: local }], settings: await getSettings(), dryRun: true, res });
    expect(local.containers.every((c) => c.state === "running")).toBe(true);
    expect(res.lines).toEqual([expect.objectContaining({ name: "c-stray2", status: "planned" })]);
    void server;
  });

  it("a server that does not answer its list call stalls none of the others: reported after its deadline", async () => {
    const { server, inst } = await fixture();
    const stuck: ContainerRuntime = { ...fakeRuntime(), listManagedContainers: () => new Promise(() => {}) };
    const local = fakeRuntime([container("stray3", inst.id)]);
    const res = sink();
    const t0 = Date.now();
    await stopStrayContainers({ servers: [{ id: "stuck", name: "stuck-1", rt: stuck }, { id: null, name: "local", rt: local }], settings: await getSettings(), dryRun: false, res, deadlineMs: 300 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(local.containers[0].state).toBe("exited");
    expect(res.lines).toEqual(expect.arrayContaining([expect.objectContaining({ name: "server stuck-1", status: "failed", message: expect.stringContaining("not checked within") })]));
    void server;
  });
});
