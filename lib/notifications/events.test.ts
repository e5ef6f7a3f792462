import { describe, expect, it } from "vitest";
import { deploymentEvent } from "../outbox/deployment-event";
import { syncEvents } from "../outbox/sync-events";
import { decideContainerEvent, RESTART_LOOP } from "./watch-containers";
import { buildMessage } from "./format-message";

const inst = { id: "i1", name: "web", status: "running", containerId: "c1" };
const die = (t: number, exitCode = 1) => ({ action: "die", containerId: "c1", labels: {}, exitCode, time: t });

describe("which event an outcome is", () => {
  it("a failed deployment names the step and the reason; rollback and update have their own", () => {
    const base = { instanceId: "i1", instanceName: "web", image: "app:v2", error: "unhealthy after 30 s", failedStep: "health" };
    expect(deploymentEvent({ ...base, kind: "redeploy", status: "failed" })).toMatchObject({ event: "deploy.failed", message: "web: redeploy of app:v2 failed at step health: unhealthy after 30 s", path: "/instances/i1" });
    expect(deploymentEvent({ ...base, kind: "rollback", status: "succeeded", error: null })).toMatchObject({ event: "deploy.rolled_back" });
    expect(deploymentEvent({ ...base, kind: "update", status: "succeeded", error: null })).toMatchObject({ event: "update.applied" });
    expect(deploymentEvent({ ...base, kind: "deploy", status: "succeeded", error: null })).toBeNull();
    expect(deploymentEvent({ ...base, kind: "deploy", status: "cancelled" })).toBeNull();
    expect(deploymentEvent({ ...base, kind: "stop", status: "failed" })).toBeNull();
  });

  it("a sync reports failures, drift and the mass-delete guard separately", () => {
    const r = { failed: 2, blocked: "would delete 40 of 50 records", containers: { failed: 1 }, routes: { failed: 0 }, lines: [{ kind: "dns", name: "a.example.com", action: "create", status: "failed" }] };
    expect(syncEvents(r, "summary").map((e) => e.event)).toEqual(["sync.failed", "sync.drift", "dns.mass_delete_blocked"]);
    expect(syncEvents({ ...r, failed: 0, blocked: null, containers: { failed: 0 } }, "s")).toEqual([]);
    expect(syncEvents(r, "s")[1].message).toContain("a.example.com");
  });

  it("container exits: only the serving container of a running instance; the third exit in the window is a restart loop; OOM is named", () => {
    const t = 1_700_000_000;
    expect(decideContainerEvent(die(t), inst, [t * 1000], undefined)).toMatchObject({ event: "instance.exited", foldKey: "instance.down:i1" });
    expect(decideContainerEvent(die(t), { ...inst, containerId: "other" }, [t * 1000], undefined)).toBeNull();
    expect(decideContainerEvent(die(t), { ...inst, status: "stopped" }, [t * 1000], undefined)).toBeNull();
    const three = [t - 20, t - 10, t].map((x) => x * 1000);
    expect(RESTART_LOOP.exits).toBe(3);
    expect(decideContainerEvent(die(t), inst, three, undefined)).toMatchObject({ event: "instance.restart_loop", foldKey: "instance.down:i1" });
    expect(decideContainerEvent(die(t, 137), inst, [t * 1000], t * 1000 - 100)).toMatchObject({ event: "instance.oom_killed", message: "web: killed for memory (exit code 137)" });
    expect(decideContainerEvent({ ...die(t), action: "health_status: unhealthy" }, inst, [], undefined)).toMatchObject({ event: "instance.unhealthy" });
    expect(decideContainerEvent({ ...die(t), action: "health_status: healthy" }, inst, [], undefined)).toBeNull();
  });

  it("the link is made from the public URL; without one there is none", () => {
    const e = { event: "deploy.failed", lastAt: new Date(0), consumerType: "instance", consumerId: "i1", consumerName: "web", message: "m", path: "/instances/i1", count: 2 };
    expect(buildMessage(e, "https://wharf.example.com/base").url).toBe("https://wharf.example.com/base/instances/i1");
    expect(buildMessage(e, null)).not.toHaveProperty("url");
  });
});
