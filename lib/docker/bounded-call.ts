import { AppError } from "../errors";
import { engineError } from "./map";

/** A caller's cancel signal and a per-call deadline (ms). */
export type CallOpts = { timeoutMs?: number; signal?: AbortSignal };

/**
 * Runs one engine call under a deadline (DockerodeRuntime and the Swarm
 * runtime alike). The deadline ends once `fn` resolves, so a stream it
 * returns lives on. The signal is passed down and also raced: a dockerode
 * method that ignores it must not hang the caller. A caller's own abort
 * rethrows its reason; the deadline is a TIMEOUT naming the call; any other
 * failure is the engine's error naming the endpoint.
 */
export async function boundedCall<T>(o: CallOpts & { op: string; endpoint: string; defaultTimeoutMs: number }, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  o.signal?.throwIfAborted();
  const ms = o.timeoutMs ?? o.defaultTimeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ms);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline.signal]) : deadline.signal;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([fn(signal), aborted]);
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason;
    if (deadline.signal.aborted) {
      throw new AppError("TIMEOUT", `Docker engine at ${o.endpoint} did not answer ${o.op} within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)}s`}`);
    }
    throw engineError(o.op, err, o.endpoint);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
