import { describe, expect, it } from "vitest";
import { decideHealth, needsProbe, RUNNING_SETTLE_MS, type HealthObservation } from "./health-decision";
import type { ContainerInfo } from "./types";

const running: ContainerInfo = {
  id: "c1", name: "wharf-web-1", image: "web:v1", state: "running", health: null, exitCode: null,
  labels: {}, publishedPort: 32768, startedAt: "2026-11-21T00:00:00Z", error: null,
};
const obs = (o: Partial<HealthObservation> & { c?: Partial<ContainerInfo> | null }): HealthObservation => ({
  container: o.c === null ? null : { ...running, ...o.c },
  probe: o.probe ?? null,
  probeConfigured: o.probeConfigured ?? true,
  runningForMs: o.runningForMs ?? 0,
  elapsedMs: o.elapsedMs ?? 1_000,
  timeoutMs: o.timeoutMs ?? 30_000,
});

describe("decideHealth", () => {
  it("fails when the container is gone", () => {
    expect(decideHealth(obs({ c: null }))).toMatchObject({ kind: "fail", failure: "gone" });
  });

  it("fails on exit with the exit code and the engine's error", () => {
    const d = decideHealth(obs({ c: { state: "exited", exitCode: 3 } }));
    expect(d).toMatchObject({ kind: "fail", failure: "exited" });
    expect(d.kind === "fail" && d.reason).toContain("code 3");
    const oom = decideHealth(obs({ c: { state: "dead", exitCode: 137, error: "killed: out of memory" } }));
    expect(oom.kind === "fail" && oom.reason).toMatch(/137.*out of memory/);
  });

  it("fails on a crash loop hidden by a restart policy", () => {
    expect(decideHealth(obs({ c: { state: "restarting", exitCode: 1 } }))).toMatchObject({ kind: "fail", failure: "restarting" });
  });

  it("prefers the container's failure over the timeout", () => {
    expect(decideHealth(obs({ c: { state: "exited", exitCode: 3 }, elapsedMs: 99_000 }))).toMatchObject({ failure: "exited" });
  });

  describe("with a Docker HEALTHCHECK", () => {
    it("waits while starting, even if HTTP answers", () => {
      const d = decideHealth(obs({ c: { health: "starting" }, probe: { kind: "response", status: 200 } }));
      expect(d).toMatchObject({ kind: "continue" });
    });
    it("is healthy when Docker says so", () => {
      expect(decideHealth(obs({ c: { health: "healthy" } }))).toEqual({ kind: "healthy", via: "healthcheck" });
    });
    it("fails when Docker says unhealthy", () => {
      expect(decideHealth(obs({ c: { health: "unhealthy" } }))).toMatchObject({ kind: "fail", failure: "unhealthy" });
    });
    it("does not ask for an HTTP probe", () => {
      expect(needsProbe({ ...running, health: "starting" }, true)).toBe(false);
    });
  });

  describe("with the HTTP probe", () => {
    it.each([200, 204, 301, 401, 404, 499])("counts HTTP %i as up", (status) => {
      expect(decideHealth(obs({ probe: { kind: "response", status } }))).toEqual({ kind: "healthy", via: "http" });
    });
    it.each([500, 502, 503])("keeps waiting on HTTP %i", (status) => {
      const d = decideHealth(obs({ probe: { kind: "response", status } }));
      expect(d).toMatchObject({ kind: "continue" });
      expect(d.kind === "continue" && d.waitingFor).toContain(String(status));
    });
    it("keeps waiting while the connection is refused", () => {
      expect(decideHealth(obs({ probe: { kind: "unreachable", reason: "ECONNREFUSED" } }))).toMatchObject({
        kind: "continue",
        waitingFor: expect.stringContaining("ECONNREFUSED"),
      });
    });
    it("times out naming what it was still waiting for", () => {
      const d = decideHealth(obs({ probe: { kind: "unreachable", reason: "ECONNREFUSED" }, elapsedMs: 30_000 }));
      expect(d).toMatchObject({ kind: "fail", failure: "timeout" });
      expect(d.kind === "fail" && d.reason).toMatch(/30s.*ECONNREFUSED/);
    });
    it("probes only a running container without a HEALTHCHECK", () => {
      expect(needsProbe(running, true)).toBe(true);
      expect(needsProbe(running, false)).toBe(false);
      expect(needsProbe({ ...running, state: "created" }, true)).toBe(false);
      expect(needsProbe(null, true)).toBe(false);
    });
  });

  it("without HEALTHCHECK or probe target, wants the container to stay running for a while", () => {
    expect(decideHealth(obs({ probeConfigured: false, runningForMs: 0 }))).toMatchObject({ kind: "continue", waitingFor: expect.stringContaining("stay running") });
    expect(decideHealth(obs({ probeConfigured: false, runningForMs: RUNNING_SETTLE_MS }))).toEqual({ kind: "healthy", via: "running" });
    // A deadline shorter than the settle time must not make success impossible.
    expect(decideHealth(obs({ probeConfigured: false, runningForMs: 500, elapsedMs: 500, timeoutMs: 500 }))).toEqual({ kind: "healthy", via: "running" });
  });

  it("waits for a created or paused container to run, then times out", () => {
    expect(decideHealth(obs({ c: { state: "created" } }))).toMatchObject({ kind: "continue" });
    expect(decideHealth(obs({ c: { state: "paused" }, elapsedMs: 30_000 }))).toMatchObject({ kind: "fail", failure: "timeout" });
  });
});
