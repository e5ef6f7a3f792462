import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// runSync is replaced so the test can hold a run open and count calls.
const calls: { resolve: () => void }[] = [];
vi.mock("./run-sync", () => ({
  runSync: vi.fn(() => new Promise<void>((resolve) => calls.push({ resolve }))),
}));

const { startScheduler, stopScheduler } = await import("./scheduler");
const { resetEnvCache } = await import("../env");
const { updateSettings } = await import("../configuration/update-settings");
const { SYSTEM_ACTOR } = await import("../audit/record-event");

// Let the scheduler's awaits (settings read, runSync) settle between timer jumps. A few real
// milliseconds each round: on PostgreSQL the settings read is socket I/O, which fake timers do not drive.
const realSetTimeout = globalThis.setTimeout;
const settle = async () => {
  for (let i = 0; i < 20; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((r) => realSetTimeout(r, 5));
  }
};
// The loop's next wait is armed only after its awaits (prune, settings read) finished: on a loaded
// PostgreSQL that can take longer than settle(). Wait (real time, bounded) until the timer changed.
const loopTimer = () => (globalThis as unknown as Record<string, { timer?: unknown } | undefined>).__wharfScheduler?.timer;
const armedAfter = async (previous: unknown) => {
  // Date is faked here: count settle() rounds (≥ 100 ms real each) instead, up to ~15 s.
  for (let round = 0; loopTimer() === previous || loopTimer() === undefined; round++) {
    if (round >= 150) throw new Error("the scheduler never armed its next wait");
    await settle();
  }
};

describe("sync scheduler", () => {
  beforeEach(async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { sync: { intervalMinutes: 2 } } });
    vi.useFakeTimers();
    calls.length = 0;
  });
  afterEach(() => {
    stopScheduler();
    vi.useRealTimers();
    delete process.env.WHARF_SCHEDULER;
    resetEnvCache();
  });

  it("runs every sync.intervalMinutes and never overlaps itself", async () => {
    expect(startScheduler()).toBe(true);
    expect(startScheduler()).toBe(false); // one per process
    await armedAfter(undefined);
    await vi.advanceTimersByTimeAsync(119_000);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(calls).toHaveLength(1);
    // The run is still going: however long we wait, no second run starts.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await settle();
    expect(calls).toHaveLength(1);
    // When it finishes, the next wait starts from then.
    const waiting = loopTimer();
    calls[0].resolve();
    await armedAfter(waiting);
    await vi.advanceTimersByTimeAsync(119_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(calls).toHaveLength(2);
  });

  it("is off with WHARF_SCHEDULER=off", async () => {
    process.env.WHARF_SCHEDULER = "off";
    resetEnvCache();
    expect(startScheduler()).toBe(false);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(calls).toHaveLength(0);
  });
});
