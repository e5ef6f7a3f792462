import { errorMessage } from "../errors";
import { logger } from "../logger";

// The in-process timer loops (the sync scheduler, update checks, usage
// samples) are one loop: `run` first after one interval, then again one
// interval after each run finished, so a loop never overlaps itself however
// long a run takes. A run that throws is logged and the loop goes on. The
// loop lives on globalThis under its key: Next's dev-mode module reloads
// keep one per process, and a second start is refused.

interface Loop {
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

const loops = globalThis as unknown as Record<string, Loop | undefined>;

/**
 * Starts the loop named `key`; false when it runs already. `intervalMs` is
 * asked again before each wait (a setting changed in between takes effect at
 * the next tick); `failed` is the log line of a run that threw.
 */
export function every(opts: { key: string; intervalMs: () => number | Promise<number>; run: () => Promise<unknown>; op: string; failed: string }): boolean {
  if (loops[opts.key]) return false;
  const loop: Loop = (loops[opts.key] = { stopped: false });
  const arm = (ms: number) => {
    loop.timer = setTimeout(tick, ms);
    loop.timer.unref();
  };
  const schedule = (): void => {
    if (loop.stopped) return;
    const ms = opts.intervalMs();
    if (typeof ms === "number") arm(ms);
    else void ms.then(arm);
  };
  const tick = async () => {
    try {
      await opts.run();
    } catch (err) {
      logger.error({ op: opts.op, err: errorMessage(err) }, opts.failed);
    }
    schedule();
  };
  schedule();
  return true;
}

/** Stops the loop named `key`: no run starts after this (one under way finishes). */
export function stopEvery(key: string): void {
  const loop = loops[key];
  if (!loop) return;
  loop.stopped = true;
  clearTimeout(loop.timer);
  loops[key] = undefined;
}
