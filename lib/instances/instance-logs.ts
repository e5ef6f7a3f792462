import { runtimeFor } from "../servers/server-runtime";
import { clusterOf } from "../servers/cluster";
import { serviceName } from "../deployer/service-spec";
import { AppError } from "../errors";
import { findInstanceOrThrow } from "../db/find-instance";

export const DEFAULT_TAIL = 200;
export const MAX_TAIL = 10_000;

/** `?tail=`: absent → 200; else an integer 1..10,000 (Docker reads a negative tail as "the whole log"), or a 400 naming it. */
export function parseTail(raw: string | null): number {
  if (raw === null || raw === "") return DEFAULT_TAIL;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_TAIL) throw new AppError("VALIDATION", `tail: must be an integer from 1 to ${MAX_TAIL}`, { field: "tail" });
  return Number(raw);
}

/** The serving container's log as a byte stream of lines (stderr lines prefixed), optionally following. */
export async function streamInstanceLogs(opts: { id: string; follow: boolean; tail: number; signal?: AbortSignal }): Promise<ReadableStream<Uint8Array>> {
  const instance = await findInstanceOrThrow(opts.id);
  const cluster = await clusterOf(instance);
  if (!instance.containerId && !cluster) throw new AppError("NOT_FOUND", `instance ${instance.name} has no container yet`);
  const controller = new AbortController();
  opts.signal?.addEventListener("abort", () => controller.abort());
  if (!Number.isInteger(opts.tail) || opts.tail < 1 || opts.tail > MAX_TAIL) throw new AppError("VALIDATION", `tail: must be an integer from 1 to ${MAX_TAIL}`, { field: "tail" });
  // A Swarm service's log is every task's, on every node (the manager gathers them).
  const lines = cluster
    ? cluster.swarm.serviceLogs(serviceName(instance.name), { tail: opts.tail, follow: opts.follow, signal: controller.signal })
    : (await runtimeFor(instance.serverId)).containerLogs(instance.containerId!, { tail: opts.tail, follow: opts.follow, signal: controller.signal });
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const next = await iterator.next();
        if (next.done) ctrl.close();
        else ctrl.enqueue(encoder.encode(`${next.value.stream === "stderr" ? "! " : ""}${next.value.line}\n`));
      } catch {
        ctrl.close();
      }
    },
    cancel() {
      controller.abort();
    },
  });
}
