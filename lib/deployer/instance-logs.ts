import { getRuntime } from "../docker";
import { AppError } from "../errors";
import { findInstanceOrThrow } from "./get-instance";

/** The serving container's log as a byte stream of lines (stderr lines prefixed), optionally following. */
export async function streamInstanceLogs(opts: { id: string; follow: boolean; tail: number; signal?: AbortSignal }): Promise<ReadableStream<Uint8Array>> {
  const instance = await findInstanceOrThrow(opts.id);
  if (!instance.containerId) throw new AppError("NOT_FOUND", `instance ${instance.name} has no container yet`);
  const controller = new AbortController();
  opts.signal?.addEventListener("abort", () => controller.abort());
  const lines = getRuntime().containerLogs(instance.containerId, { tail: opts.tail, follow: opts.follow, signal: controller.signal });
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
