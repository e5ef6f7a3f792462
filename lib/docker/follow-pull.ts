// Reading an image pull's progress stream to its end (docker-modem's followProgress).
import { AppError } from "../errors";
import type { PullProgress } from "./types";

type PullEvent = { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; progressDetail?: { current?: number; total?: number } };

interface Modem {
  followProgress(stream: NodeJS.ReadableStream, onFinished: (err: Error | null) => void, onProgress: (ev: PullEvent) => void): void;
}

export interface FollowPullOptions {
  modem: Modem;
  stream: NodeJS.ReadableStream;
  ref: string;
  /** Aborting this must end the HTTP request; the idle watchdog aborts it with a TIMEOUT. */
  idle: AbortController;
  idleTimeoutMs: number;
  /** The caller's signal combined with `idle.signal`. */
  live: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  toError: (err: unknown) => AppError;
}

/**
 * Resolves when the engine ends the stream without an error event. A pull
 * has no overall deadline (images can be large); it fails when it stops
 * making progress instead.
 */
export function followPull(o: FollowPullOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: AppError | null = null;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        o.idle.abort(new AppError("TIMEOUT", `Docker pull of ${o.ref} made no progress for ${Math.round(o.idleTimeoutMs / 1000)}s`));
      }, o.idleTimeoutMs);
    };
    arm();
    o.modem.followProgress(
      o.stream,
      (err) => {
        clearTimeout(timer);
        // An aborted stream may just close, with no error event at all.
        if (o.live.aborted) reject(o.live.reason);
        else if (failure) reject(failure);
        else if (err) reject(o.toError(err));
        else resolve();
      },
      (ev) => {
        arm();
        // Registry failures that happen after the 200 arrive as an event in the stream, not as an HTTP error.
        if (ev.error || ev.errorDetail) {
          failure ??= new AppError("PROVIDER_ERROR", `Docker pull of ${o.ref} failed: ${ev.errorDetail?.message ?? ev.error}`, { details: { ref: o.ref } });
          return;
        }
        o.onProgress?.({ status: ev.status ?? "", id: ev.id, current: ev.progressDetail?.current, total: ev.progressDetail?.total });
      },
    );
  }).finally(() => (o.stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.());
}
