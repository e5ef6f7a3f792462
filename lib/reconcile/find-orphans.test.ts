import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertInstance, resetDnsState } from "../../test/helpers/dns-fixtures";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { setRuntimeForTests } from "../docker";
import type { ContainerInfo } from "../docker/types";
import { listOrphans } from "./find-orphans";

const container = (id: string, labels: Record<string, string>): ContainerInfo => ({
  id, name: id, image: "example/app:1", state: "running", health: null, exitCode: null, labels, publishedPort: null, startedAt: null, error: null,
});

describe("listOrphans (the dashboard's live list)", () => {
  beforeEach(resetDnsState);
  afterEach(() => setRuntimeForTests(null));

  it("reports managed containers whose instance row is gone or unnamed, and keeps those of existing instances", async () => {
    const live = await insertInstance("live");
    setRuntimeForTests(
      fakeRuntime([
        container("c-live", { "wharf.managed": "true", "wharf.instance": live.id }),
        container("c-gone", { "wharf.managed": "true", "wharf.instance": "no-such-instance" }),
        container("c-unlabelled", { "wharf.managed": "true" }),
        container("c-foreign", { "some.other": "true" }),
      ]),
    );
    const o = await listOrphans();
    expect(o.errors).toEqual([]);
    expect(o.containers.map((c) => [c.id, c.instanceId]).sort()).toEqual([["c-gone", "no-such-instance"], ["c-unlabelled", null]]);
    expect(o.routes).toEqual([]);
  });

  it("looks up more referenced instances than one statement's chunk", async () => {
    const live = await insertInstance("live");
    const many = Array.from({ length: 5200 }, (_, i) => container(`c${i}`, { "wharf.managed": "true", "wharf.instance": i === 5100 ? live.id : `gone-${i}` }));
    setRuntimeForTests(fakeRuntime(many));
    const o = await listOrphans();
    expect(o.containers).toHaveLength(5199);
    expect(o.containers.some((c) => c.id === "c5100")).toBe(false);
  });
});
