import http from "node:http";

/** GET through a local listener with a chosen Host header (node:http: Caddy refuses fetch's Sec-Fetch-Mode). Loopback only. */
export function httpGet(opts: { port: number; host?: string; path?: string; timeoutMs?: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port: opts.port, path: opts.path ?? "/", headers: opts.host ? { host: opts.host } : {}, timeout: opts.timeoutMs ?? 5000, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? "condition"}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export const CADDY = { admin: "http://127.0.0.1:2019", server: "wharf", httpPort: 8480 };

/**
 * The one Docker network the deploy tests share. A network per test file
 * piled up across runs on a reused machine until dockerd ran out of address
 * pools; test/services/start.sh removes leftovers of older runs.
 */
export const TEST_NETWORK = "wharf-it";
