import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/** One GET to 127.0.0.1 (node:http: Caddy refuses fetch's Sec-Fetch-Mode); never rejects. */
export function get(port: number, opts: { host?: string; path?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: opts.path ?? "/", headers: opts.host ? { host: opts.host } : {}, timeout: opts.timeoutMs ?? 2000, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(null));
  });
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
