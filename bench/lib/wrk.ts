import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const BODIES_SCRIPT = path.join(import.meta.dirname, "wrk-bodies.lua");

export interface WrkSummary {
  requests: number;
  seconds: number;
  requestsPerSec: number;
  /** "Non-2xx or 3xx responses" (absent from wrk's output when 0). */
  non2xx3xx: number;
  /** "Socket errors: connect, read, write, timeout" (absent when all 0). */
  socket: { connect: number; read: number; write: number; timeout: number };
  failed: number;
  latency: { avg: string; max: string } | null;
  /** Response bodies by version (bench/lib/wrk-bodies.lua); "other" is neither (e.g. Caddy's empty 200 for an unrouted host). */
  bodies: { v1: number; v2: number; other: number } | null;
  raw: string;
}

/** Parses wrk's (4.x) text summary. Throws when the request count is missing: the run did not finish. */
export function parseWrk(raw: string): WrkSummary {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(raw);
  if (!done) throw new Error(`wrk output has no request count:\n${raw}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[done[3] as "us" | "ms" | "s" | "m"];
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const socket = sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  const bodies = /BODIES v1=(\d+) v2=(\d+) other=(\d+)/.exec(raw);
  const lat = /Latency\s+(\S+)\s+\S+\s+(\S+)/.exec(raw);
  return {
    requests: Number(done[1]),
    seconds: Number(done[2]) * unit,
    requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(raw)?.[1] ?? Number.NaN),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0),
    socket,
    failed: socket.connect + socket.read + socket.write + socket.timeout,
    latency: lat ? { avg: lat[1], max: lat[2] } : null,
    bodies: bodies ? { v1: +bodies[1], v2: +bodies[2], other: +bodies[3] } : null,
    raw,
  };
}

/** Starts wrk against a loopback URL; `stop()` ends it early with SIGINT (wrk then prints its summary). */
export function startWrk(opts: { url: string; host: string; threads: number; connections: number; maxSeconds: number; countBodies?: boolean }) {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(opts.url)) throw new Error("the bench only sends load to 127.0.0.1");
  const args = [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.maxSeconds}s`, "--timeout", "2s", ...(opts.countBodies === false ? [] : ["-s", BODIES_SCRIPT]), "-H", `Host: ${opts.host}`, opts.url];
  const child: ChildProcess = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<string>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", () => resolve(out));
  });
  // A hard stop even if the caller never gets to stop(): the scenario must stay bounded.
  const guard = setTimeout(() => child.kill("SIGKILL"), (opts.maxSeconds + 30) * 1000);
  guard.unref();
  return {
    command: `wrk ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" ")}`,
    async stop(): Promise<WrkSummary> {
      if (child.exitCode === null) child.kill("SIGINT");
      const raw = await exited;
      clearTimeout(guard);
      return parseWrk(raw);
    },
  };
}
