import { describe, expect, it } from "vitest";
import { db } from "../db";
import type { ContainerRuntime, ContainerStats } from "../docker/types";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { collectUsageOnce, compactUsage, newCollectorState } from "./collect-usage";
import { BUCKET_S, downsample, type TSampleRow } from "./downsample";
import { getUsage, latestUsage } from "../instances/get-usage";

const row = (instanceId: string, at: number, cpu: number | null, mem: number, rx: number): TSampleRow => ({
  instanceId, at: new Date(at), resolution: 15, cpuPercent: cpu, memoryBytes: mem, memoryLimitBytes: 100, netRx: rx, netTx: 0, blockRead: 0, blockWrite: 0,
});

describe("downsampling", () => {
  it("averages gauges and keeps the last counter per instance and window", () => {
    const t = Date.UTC(2026, 11, 1, 10, 0, 0);
    const out = downsample([row("a", t, 10, 100, 1), row("a", t + 15_000, 30, 300, 5), row("a", t + 15_000 * 25, null, 50, 9), row("b", t, null, 7, 0)]);
    expect(out).toEqual([
      { ...row("a", t, 20, 200, 5), resolution: BUCKET_S },
      { ...row("b", t, null, 7, 0), resolution: BUCKET_S },
      { ...row("a", t + BUCKET_S * 1000, null, 50, 9), resolution: BUCKET_S },
    ]);
  });
});

function stats(cpuNs: number, sysNs: number): ContainerStats {
  return { at: new Date(), cpuTotalNs: cpuNs, systemCpuNs: sysNs, onlineCpus: 1, memoryBytes: 1000, memoryLimitBytes: 2000, netRx: 1, netTx: 2, blockRead: 3, blockWrite: 4 };
}

describe("collector and retention on SQLite", () => {
  it("samples running instances only, keeps 24 h, downsamples after an hour", async () => {
    await db.instance.createMany({
      data: [
        { id: "u-run", name: "u-run", image: "x", subdomain: "u-run", port: 80, status: "running", containerId: "c-run" },
        { id: "u-stop", name: "u-stop", image: "x", subdomain: "u-stop", port: 80, status: "stopped", containerId: "c-stop" },
      ],
    });
    let n = 0;
    const rt: ContainerRuntime = { ...fakeRuntime(), containerStats: async (id) => (id === "c-run" ? stats(++n * 1e9, n * 4e9) : null) };
    const state = newCollectorState();
    const start = Date.now() - 2 * 60 * 60 * 1000;
    // Two hours of 15 s samples (480), written through the collector with a moving clock.
    for (let i = 0; i < 480; i++) await collectUsageOnce({ state, runtime: rt, now: new Date(start + i * 15_000) });
    const all = await db.usageSample.findMany({ where: { instanceId: "u-run" }, orderBy: { at: "asc" } });
    const raw = all.filter((r) => r.resolution === 15);
    const coarse = all.filter((r) => r.resolution === BUCKET_S);
    expect(await db.usageSample.count({ where: { instanceId: "u-stop" } })).toBe(0);
    // Samples older than ~1 h were folded into 5-minute rows; the last hour is full resolution.
    expect(coarse.length).toBeGreaterThanOrEqual(11);
    // At most 1 h + one compaction period (5 min) + one bucket's alignment (5 min) of raw rows.
    expect(raw.length).toBeLessThanOrEqual(280);
    expect(raw.length).toBeGreaterThanOrEqual(240);
    expect(coarse[1].cpuPercent).toBeCloseTo(25); // 1e9 / 4e9 per step
    // Old rows beyond 24 h go.
    await db.usageSample.create({ data: { ...row("u-run", Date.now() - 25 * 3600_000, 1, 1, 1) } });
    await compactUsage(new Date());
    expect(await db.usageSample.count({ where: { at: { lt: new Date(Date.now() - 24 * 3600_000) } } })).toBe(0);

    const { samples } = await getUsage({ instanceId: "u-run" });
    expect(samples.length).toBe(await db.usageSample.count({ where: { instanceId: "u-run" } }));
    expect(samples[0]).toEqual(expect.objectContaining({ memoryBytes: 1000, memoryLimitBytes: 2000, netRx: 1, netTx: 2 }));
    await expect(getUsage({ instanceId: "u-run", since: "yesterday-ish" })).rejects.toMatchObject({ code: "VALIDATION", field: "since" });
    await expect(getUsage({ instanceId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await latestUsage(["u-run", "u-stop"])).has("u-stop")).toBe(false);
  });
});
