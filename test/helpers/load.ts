import { CADDY, httpGet } from "./http";

export type LoadResult = { ok: number; failed: number; failures: string[] };

/**
 * Requests to `host` through Caddy on loopback, one after another, while
 * `during` runs; every answer must be 200 with `expect` in its body. The
 * first failures are kept with their time since the start, so a failed
 * zero-downtime assertion says what broke and when.
 */
export async function underLoad(host: string, during: () => Promise<unknown>, opts: { expect?: string; port?: number } = {}): Promise<LoadResult> {
  const expectBody = opts.expect ?? "wharf-test";
  let stop = false;
  const out: LoadResult = { ok: 0, failed: 0, failures: [] };
  const t0 = Date.now();
  const loop = (async () => {
    while (!stop) {
      const r = await httpGet({ port: opts.port ?? CADDY.httpPort, host, timeoutMs: 3000 }).catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status === 200 && r.body.includes(expectBody)) out.ok++;
      else {
        out.failed++;
        if (out.failures.length < 5) out.failures.push(`+${Date.now() - t0} ms: ${r.status} ${r.body.slice(0, 120)}`);
      }
    }
  })();
  try {
    await during();
  } finally {
    stop = true;
    await loop;
  }
  return out;
}
