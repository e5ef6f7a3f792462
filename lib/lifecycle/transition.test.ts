import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { allowedEvents, INSTANCE_EVENTS, INSTANCE_STATES, isBusy, isTerminal, type InstanceEvent, type InstanceState } from "./states";
import { canAccept, parseInstanceState, transition } from "./transition";

// Written out by hand from SPEC §4.3/§5 on purpose: the test must not re-derive
// the answer from the table it checks. Every pair not listed is refused.
const EXPECTED: Record<InstanceState, Partial<Record<InstanceEvent, InstanceState>>> = {
  created: { deploy: "deploying", remove: "removing" },
  deploying: { deployed: "running", deploy_failed: "failed", cancel: "deploying", recover: "deploying" },
  running: { redeploy: "redeploying", rollback: "rolling_back", stop: "stopping", remove: "removing", container_died: "failed" },
  redeploying: { redeployed: "running", redeploy_failed: "running", cancel: "redeploying", recover: "redeploying" },
  rolling_back: { rolled_back: "running", rollback_failed: "running", recover: "rolling_back" },
  stopping: { stopped: "stopped", stop_failed: "failed", recover: "stopping" },
  stopped: { deploy: "deploying", start: "starting", remove: "removing" },
  starting: { started: "running", start_failed: "failed", recover: "starting" },
  failed: { deploy: "deploying", start: "starting", stop: "stopping", remove: "removing" },
  removing: { removed: "removed", remove_failed: "failed", recover: "removing" },
  removed: {},
};

const STATES: InstanceState[] = [
  "created", "deploying", "running", "redeploying", "rolling_back", "stopping", "stopped", "starting", "failed", "removing", "removed",
];
const EVENTS: InstanceEvent[] = [
  "deploy", "deployed", "deploy_failed", "redeploy", "redeployed", "redeploy_failed", "rollback", "rolled_back", "rollback_failed",
  "stop", "stopped", "stop_failed", "start", "started", "start_failed", "remove", "removed", "remove_failed", "cancel", "recover",
  "container_died",
];

const pairs = STATES.flatMap((s) => EVENTS.map((e) => [s, e, EXPECTED[s][e] ?? null] as const));

describe("instance state table", () => {
  it("covers exactly the states and events the test knows", () => {
    expect([...INSTANCE_STATES].sort()).toEqual([...STATES].sort());
    expect([...INSTANCE_EVENTS].sort()).toEqual([...EVENTS].sort());
    expect(pairs).toHaveLength(STATES.length * EVENTS.length);
  });

  it.each(pairs.filter(([, , next]) => next !== null))("%s + %s → %s", (state, event, next) => {
    expect(transition(state, event)).toBe(next);
    expect(canAccept(state, event)).toBe(true);
  });

  it.each(pairs.filter(([, , next]) => next === null))("%s + %s is refused", (state, event) => {
    expect(canAccept(state, event)).toBe(false);
    let thrown: unknown;
    try {
      transition(state, event);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const err = thrown as AppError;
    expect(err.code).toBe("INVALID_TRANSITION");
    expect(err.status).toBe(409);
    expect(err.message).toContain(`"${state}"`);
    expect(err.message).toContain(`"${event}"`);
  });

  it("lists allowed events per state", () => {
    expect(allowedEvents("running")).toEqual(["redeploy", "rollback", "stop", "remove", "container_died"]);
    expect(allowedEvents("removed")).toEqual([]);
    for (const s of STATES) expect(allowedEvents(s).sort()).toEqual(Object.keys(EXPECTED[s]).sort());
  });

  it("marks the states owned by a running operation as busy", () => {
    const busy = STATES.filter(isBusy);
    expect(busy).toEqual(["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"]);
    // A busy state refuses every new operation, so two operations never overlap.
    for (const s of busy) {
      for (const e of ["deploy", "redeploy", "rollback", "stop", "start", "remove"] as const) expect(canAccept(s, e)).toBe(false);
    }
  });

  it("accepts recover only where an operation can have been interrupted", () => {
    expect(STATES.filter((s) => canAccept(s, "recover"))).toEqual(STATES.filter(isBusy));
  });

  it("has removed as its only terminal state", () => {
    expect(STATES.filter(isTerminal)).toEqual(["removed"]);
  });

  it("keeps a failed blue-green switch serving (running), unlike a failed first deploy", () => {
    expect(transition(transition("running", "redeploy"), "redeploy_failed")).toBe("running");
    expect(transition(transition("running", "rollback"), "rollback_failed")).toBe("running");
    expect(transition(transition("created", "deploy"), "deploy_failed")).toBe("failed");
  });

  it("refuses unknown states and events coming from untyped data", () => {
    expect(() => transition("paused" as InstanceState, "start")).toThrow(/Unknown instance state "paused"/);
    expect(() => transition("running", "explode" as InstanceEvent)).toThrow(/Unknown event "explode"/);
    expect(canAccept("paused" as InstanceState, "start")).toBe(false);
    expect(canAccept("running", "__proto__" as InstanceEvent)).toBe(false);
    expect(() => parseInstanceState("nope")).toThrow(AppError);
    expect(parseInstanceState("rolling_back")).toBe("rolling_back");
  });
});
