import { describe, expect, it } from "vitest";
import type { Upstream } from "../proxy/types";
import type { TaskInfo } from "../swarm/types";
import { describeMove, nothingMoved, planTaskFollow, upstreamsKey } from "./task-follow-plan";

const task = (over: Partial<TaskInfo>): TaskInfo => ({
  id: "t",
  nodeId: "n",
  node: "h1",
  nodeAddress: "198.18.0.11",
  state: "running",
  desiredState: "running",
  publishedPort: 30001,
  containerId: "c",
  image: "img@sha256:1",
  error: null,
  updatedAt: "2026-12-07T00:00:00Z",
  ...over,
});
const up = (host: string, port: number): Upstream => ({ scheme: "http", host, port });
const web = { id: "i1", name: "web" };

describe("upstreamsKey / describeMove", () => {
  it("is order-free and ignores repeats", () => {
    expect(upstreamsKey([up("b", 2), up("a", 1), up("a", 1)])).toBe(upstreamsKey([up("a", 1), up("b", 2)]));
    expect(upstreamsKey([up("a", 1)])).not.toBe(upstreamsKey([up("a", 2)]));
    expect(upstreamsKey([])).toBe("");
  });
  it("names what left and what came", () => {
    expect(describeMove([up("198.18.0.13", 30001), up("198.18.0.12", 30002)], [up("198.18.0.12", 30002), up("198.18.0.11", 30005)])).toBe("198.18.0.13:30001 → 198.18.0.11:30005");
    expect(describeMove([up("a", 1)], [up("a", 1), up("b", 2)])).toBe("(none) → b:2");
  });
});

describe("planTaskFollow", () => {
  const tasks = (list: TaskInfo[]) => new Map([["wharf-web", list]]);

  it("moves a route still on a task that left (node down: desired shutdown) onto the one that replaced it", () => {
    const plan = planTaskFollow({
      instances: [web],
      tasks: tasks([task({ nodeAddress: "198.18.0.12", publishedPort: 30002 }), task({ nodeAddress: "198.18.0.11", publishedPort: 30005 })]),
      routes: new Map([["i1", [up("198.18.0.13", 30001), up("198.18.0.12", 30002)]]]),
      busy: new Set(),
    });
    expect(plan.moves).toEqual([{ id: "i1", name: "web", from: [up("198.18.0.13", 30001), up("198.18.0.12", 30002)], to: [up("198.18.0.11", 30005), up("198.18.0.12", 30002)] }]);
    expect(plan.settled).toEqual([]);
  });

  it("leaves a route that already holds the running tasks (in any order) alone, and remembers it", () => {
    const plan = planTaskFollow({
      instances: [web],
      tasks: tasks([task({ nodeAddress: "198.18.0.12", publishedPort: 30002 }), task({ nodeAddress: "198.18.0.11", publishedPort: 30005 })]),
      routes: new Map([["i1", [up("198.18.0.12", 30002), up("198.18.0.11", 30005)]]]),
      busy: new Set(),
    });
    expect(plan.moves).toEqual([]);
    expect(plan.settled).toEqual([{ id: "i1", key: "http://198.18.0.11:30005,http://198.18.0.12:30002" }]);
  });

  it("counts only tasks that run and are meant to: a starting replacement, a task being shut down, one without a port are not upstreams", () => {
    const plan = planTaskFollow({
      instances: [web],
      tasks: tasks([
        task({ nodeAddress: "198.18.0.12", publishedPort: 30002 }),
        task({ nodeAddress: "198.18.0.11", publishedPort: null, state: "starting" }),
        task({ nodeAddress: "198.18.0.13", publishedPort: 30001, desiredState: "shutdown" }),
        task({ nodeAddress: "", publishedPort: 30009 }),
      ]),
      routes: new Map([["i1", [up("198.18.0.13", 30001), up("198.18.0.12", 30002)]]]),
      busy: new Set(),
    });
    expect(plan.moves.map((m) => m.to)).toEqual([[up("198.18.0.12", 30002)]]);
  });

  it("skips an instance an operation holds (its operation follows its own tasks), without remembering it", () => {
    const plan = planTaskFollow({ instances: [web], tasks: tasks([task({})]), routes: new Map([["i1", [up("x", 1)]]]), busy: new Set(["i1"]) });
    expect(plan.moves).toEqual([]);
    expect(plan.settled).toEqual([]);
    expect(plan.skipped).toEqual([{ id: "i1", name: "web", reason: "an operation holds it" }]);
  });

  it("never routes to nothing, and leaves a missing service or a missing route to the sync", () => {
    const none = planTaskFollow({ instances: [web], tasks: tasks([task({ state: "starting" })]), routes: new Map([["i1", [up("x", 1)]]]), busy: new Set() });
    expect(none.moves).toEqual([]);
    expect(none.skipped[0].reason).toMatch(/no task runs/);
    const gone = planTaskFollow({ instances: [web], tasks: new Map(), routes: new Map([["i1", [up("x", 1)]]]), busy: new Set() });
    expect(gone.moves).toEqual([]);
    expect(gone.skipped[0].reason).toMatch(/service is missing/);
    const unrouted = planTaskFollow({ instances: [web], tasks: tasks([task({})]), routes: new Map(), busy: new Set() });
    expect(unrouted.moves).toEqual([]);
    expect(unrouted.skipped[0].reason).toMatch(/no route/);
  });

  it("plans each instance on its own service's tasks", () => {
    const plan = planTaskFollow({
      instances: [web, { id: "i2", name: "api" }],
      tasks: new Map([
        ["wharf-web", [task({ publishedPort: 30001 })]],
        ["wharf-api", [task({ publishedPort: 30002 })]],
      ]),
      routes: new Map([
        ["i1", [up("198.18.0.11", 30001)]],
        ["i2", [up("198.18.0.11", 30003)]],
      ]),
      busy: new Set(),
    });
    expect(plan.moves.map((m) => [m.id, m.to])).toEqual([["i2", [up("198.18.0.11", 30002)]]]);
    expect(plan.settled.map((s) => s.id)).toEqual(["i1"]);
  });
});

describe("nothingMoved", () => {
  const tasks = new Map([["wharf-web", [task({ publishedPort: 30001 })]]]);
  it("is true only when every instance's tasks are the ones last confirmed", () => {
    expect(nothingMoved({ instances: [web], tasks, seen: new Map([["i1", "http://198.18.0.11:30001"]]) })).toBe(true);
    expect(nothingMoved({ instances: [web], tasks, seen: new Map([["i1", "http://198.18.0.11:30002"]]) })).toBe(false);
    expect(nothingMoved({ instances: [web], tasks, seen: new Map() })).toBe(false);
    expect(nothingMoved({ instances: [], tasks, seen: new Map() })).toBe(true);
  });
});
