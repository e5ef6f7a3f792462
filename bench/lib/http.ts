import { httpGet } from "../../test/helpers/http";
import { setTimeout as sleep } from "node:timers/promises";

/** One GET to 127.0.0.1 through the tests' helper; never rejects (null on a socket error or timeout). */
export function get(port: number, opts: { host?: string; path?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: string } | null> {
  return httpGet({ port, host: opts.host, path: opts.path, timeoutMs: opts.timeoutMs ?? 2000 }).catch(() => null);
}

/** Polls until the port answers any HTTP status below 500 (Wharf's own health rule). */
export async function waitHttp(port: number, opts: { intervalMs: number; timeoutMs: number; host?: string }): Promise<number> {
  const started = performance.now();
  for (let tries = 1; ; tries++) {
    const r = await get(port, { host: opts.host, timeoutMs: 1000 });
    if (r && r.status < 500) return tries;
    if (performance.now() - started > opts.timeoutMs) throw new Error(`127.0.0.1:${port} did not answer HTTP within ${opts.timeoutMs} ms`);
    await sleep(opts.intervalMs);
  }
}

export const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
