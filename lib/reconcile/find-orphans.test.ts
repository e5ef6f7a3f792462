import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertInstance, resetDnsState } from "../../test/helpers/dns-fixtures";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { setRuntimeForTests } from "../docker";
import type { ContainerInfo } from "../docker/types";
import { listOrphans } from "./find-orphans";
import { removeOrphanContainer } from "./remove-orphan";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { installationId } from "../secrets";

const container = (id: string, labels: Record<string, string>): ContainerInfo => ({
  id, name: id, image: "example/app:1", state: "running", health: null, exitCode: null, labels, publishedPort: null, startedAt: null, error: null,
});

describe("listOrphans (the dashboard's live list)", () => {
  beforeEach(resetDnsState);
  afterEach(() => setRuntimeForTests(null));

  it("reports this installation's managed containers whose instance row is gone or unnamed, and keeps those of existing instances", async () => {
    const live = await insertInstance("live");
    const mine = { "wharf.managed": "true", "wharf.installation": installationId() };
    setRuntimeForTests(
      fakeRuntime([
        container("c-live", { ...mine, "wharf.instance": live.id }),
        container("c-gone", { ...mine, "wharf.instance": "no-such-instance" }),
        container("c-unlabelled", mine),
        container("c-foreign", { "some.other": "true" }),
      ]),
    );
    const o = await listOrphans();
    expect(o.errors).toEqual([]);
    expect(o.containers.map((c) => [c.id, c.instanceId]).sort()).toEqual([["c-gone", "no-such-instance"], ["c-unlabelled", null]]);
    expect(o.routes).toEqual([]);
  });

  it("never lists nor removes another installation's containers, nor ones from before the installation label that no row names", async () => {
    const live = await insertInstance("live");
    const other = container("c-other", { "wharf.managed": "true", "wharf.installation": "staging-7", "wharf.instance": "cl-other-instance" });
    const legacy = container("c-legacy", { "wharf.managed": "true", "wharf.instance": "cl-gone-before-labels" });
    const legacyLive = container("c-legacy-live", { "wharf.managed": "true", "wharf.instance": live.id });
    const runtime = fakeRuntime([other, legacy, legacyLive]);
    setRuntimeForTests(runtime);
    expect((await listOrphans()).containers).toEqual([]);
    await expect(removeOrphanContainer({ actor: SYSTEM_ACTOR, id: "c-other" })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE", message: expect.stringContaining("installation staging-7") });
    await expect(removeOrphanContainer({ actor: SYSTEM_ACTOR, id: "c-legacy" })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect((await runtime.listManagedContainers()).map((c) => c.id).sort()).toEqual(["c-legacy", "c-legacy-live", "c-other"]);
  });

  it("looks up more referenced instances than one statement's chunk", async () => {
    const live = await insertInstance("live");
    const many = Array.from({ length: 5200 }, (_, i) => container(`c${i}`, { "wharf.managed": "true", "wharf.installation": installationId(), "wharf.instance": i === 5100 ? live.id : `gone-${i}` }));
    setRuntimeForTests(fakeRuntime(many));
    const o = await listOrphans();
    expect(o.containers).toHaveLength(5199);
    expect(o.containers.some((c) => c.id === "c5100")).toBe(false);
  });
});
