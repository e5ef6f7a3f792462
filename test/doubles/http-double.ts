import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// Shared plumbing of the HTTP test doubles: a real node:http server on
// 127.0.0.1 with a random port, a request log, and seeded fault injection so
// that a test with faults fails or passes the same way every run.

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Set when the response was an injected fault: "applied" means the write went through before the error was sent. */
  fault?: "error" | "applied" | "lie";
}

export interface FaultOptions {
  /** Share (0..1) of requests answered with one of `statuses` instead of being served. */
  errorRate?: number;
  statuses?: number[];
  /** Share of faulted writes that are applied before the error is returned (the answer was lost, the change was not). */
  appliedShare?: number;
  /** Share of deletes that answer success without deleting anything. */
  lyingDeleteRate?: number;
  /** `retry-after` seconds sent with an injected 429. */
  retryAfterSec?: number;
  seed?: number;
}

/** mulberry32: a tiny seeded PRNG, so injected faults repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  opts: Required<FaultOptions> = { errorRate: 0, statuses: [500], appliedShare: 0, lyingDeleteRate: 0, retryAfterSec: 1, seed: 1 };
  private random = seededRandom(1);

  set(opts: FaultOptions): void {
    this.opts = { ...this.opts, ...opts };
    this.random = seededRandom(this.opts.seed);
  }

  /** Whether to fault this request, with which status, and whether a write goes through first. */
  roll(): { status: number; applied: boolean } | null {
    if (this.opts.errorRate <= 0 || this.random() >= this.opts.errorRate) return null;
    const status = this.opts.statuses[Math.floor(this.random() * this.opts.statuses.length)] ?? 500;
    return { status, applied: status !== 429 && this.random() < this.opts.appliedShare };
  }

  lie(): boolean {
    return this.opts.lyingDeleteRate > 0 && this.random() < this.opts.lyingDeleteRate;
  }
}

export interface ParsedRequest {
  req: IncomingMessage;
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  /** This request's log entry, for marking injected faults. */
  entry: LoggedRequest;
}

export type Handler = (r: ParsedRequest, res: ServerResponse) => Promise<number> | number;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const type = typeof body === "string" ? "text/plain; charset=utf-8" : "application/json";
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(text);
  return status;
}

/** Starts a server whose handler returns the status it sent (for the log). */
export async function startServer(handler: Handler, log: LoggedRequest[]): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams.entries());
    const entry: LoggedRequest = { method: req.method ?? "GET", path: url.pathname, query, status: 0 };
    log.push(entry);
    try {
      const body = await readBody(req);
      entry.status = await handler({ req, method: entry.method, path: url.pathname, query, body, entry }, res);
    } catch (err) {
      entry.status = send(res, 500, { error: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
