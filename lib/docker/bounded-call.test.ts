import { describe, expect, it } from "vitest";
import { boundedCall } from "./bounded-call";

const base = { op: "list containers", endpoint: "tcp://198.18.0.11:2376", defaultTimeoutMs: 50 };
const never = () => new Promise<never>(() => {}); // a call that ignores its signal

describe("boundedCall", () => {
  it("returns the call's answer and passes a live signal down", async () => {
    let seen: AbortSignal | undefined;
    expect(await boundedCall(base, async (s) => ((seen = s), 42))).toBe(42);
    expect(seen?.aborted).toBe(false);
  });

  it("a call that never answers (and ignores its signal) is a TIMEOUT naming the call and the engine", async () => {
    const t0 = Date.now();
    await expect(boundedCall(base, never)).rejects.toMatchObject({ code: "TIMEOUT", message: "Docker engine at tcp://198.18.0.11:2376 did not answer list containers within 50 ms" });
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(boundedCall({ ...base, timeoutMs: 1200 }, never)).rejects.toMatchObject({ message: expect.stringContaining("within 1s") });
  });

  it("the caller's own abort rethrows its reason, before and during the call", async () => {
    const before = new AbortController();
    before.abort(new Error("cancelled by the operator"));
    let called = false;
    await expect(boundedCall({ ...base, signal: before.signal }, async () => ((called = true), 1))).rejects.toThrow("cancelled by the operator");
    expect(called).toBe(false);
    const during = new AbortController();
    setTimeout(() => during.abort(new Error("job cancelled")), 5);
    await expect(boundedCall({ ...base, defaultTimeoutMs: 10_000, signal: during.signal }, never)).rejects.toThrow("job cancelled");
  });

  it("any other failure is the engine's error naming the call", async () => {
    await expect(boundedCall(base, async () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })))).rejects.toMatchObject({
      message: expect.stringContaining("tcp://198.18.0.11:2376"),
    });
  });
});
