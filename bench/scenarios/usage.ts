// The usage collector's cost (issue 14): N running busybox containers (plain
// dockerode, labelled wharf.bench, on a network of the bench's own), one
// instance row each, and the collector ticking at its real interval (15 s).
// Measured: this process's CPU time (process.cpuUsage, user+system) over the
// whole window, ticks and idle time between them, as a share of one core;
// the wall time of one tick; and, for information only, dockerd's CPU over
// the same window (it answers the stats reads, and other users of the
// shared engine add to it).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { db } from "../../lib/db";
import { collectUsageOnce, newCollectorState } from "../../lib/usage/collect-usage";
import { progress } from "../lib/http";
import { check, ms, type ScenarioResult } from "../lib/result";
import { median } from "../lib/stats";

const IMAGE = "wharf-test/web:v1";
const TARGET_PERCENT = 2;

/** utime+stime of a process in ms, from /proc (clock ticks are 100 Hz on Linux). */
function procCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function dockerdPid(): number | null {
  try {
    return Number(readFileSync("/var/run/docker.pid", "utf8").trim()) || null;
  } catch {
    return null;
  }
}

export async function run(o: { containers?: number; ticks?: number; interval?: number }): Promise<ScenarioResult> {
  const count = o.containers ?? 50;
  const ticks = o.ticks ?? 8;
  const intervalMs = (o.interval ?? 15) * 1000;
  const rand = randomBytes(3).toString("hex");
  const network = `wharf-bench-usage-${rand}`;
  const docker = new Docker();
  await docker.createNetwork({ Name: network, Driver: "bridge", Labels: { "wharf.bench": "true" } });
  const ids: string[] = [];
  const lines: string[] = [];
  try {
    progress(`usage: starting ${count} containers`);
    for (let i = 0; i < count; i++) {
      const c = await docker.createContainer({ name: `wharf-bench-usage-${rand}-${i}`, Image: IMAGE, Labels: { "wharf.bench": "true" }, HostConfig: { NetworkMode: network, Memory: 32 * 1024 * 1024 } });
      await c.start();
      ids.push(c.id);
      await db.instance.create({ data: { id: `bench${rand}${i}`, name: `bench-${rand}-${i}`, image: IMAGE, subdomain: `bench-${rand}-${i}`, port: 8080, status: "running", containerId: c.id } });
    }
    const state = newCollectorState();
    // One untimed tick: the first read of each container primes the CPU delta and warms Prisma and the HTTP agent.
    await collectUsageOnce({ state });
    await sleep(intervalMs);
    const pid = dockerdPid();
    const d0 = pid ? procCpuMs(pid) : null;
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const tickMs: number[] = [];
    const tickCpuMs: number[] = [];
    let samples = 0;
    for (let t = 0; t < ticks; t++) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const r = await collectUsageOnce({ state });
      samples += r.samples;
      const used = process.cpuUsage(cpu);
      tickCpuMs.push((used.user + used.system) / 1000);
      tickMs.push(performance.now() - started);
      progress(`usage: tick ${t + 1}/${ticks}: ${r.samples} samples, ${Math.round(tickMs.at(-1)!)} ms`);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
    const wallMs = performance.now() - w0;
    const used = process.cpuUsage(c0);
    const cpuMs = (used.user + used.system) / 1000;
    const percent = (cpuMs / wallMs) * 100;
    const d1 = pid ? procCpuMs(pid) : null;
    const dockerdPercent = d0 !== null && d1 !== null ? ((d1 - d0) / wallMs) * 100 : null;
    const stored = await db.usageSample.count();
    lines.push(`${count} running containers, ${ticks} ticks every ${intervalMs / 1000} s, ${samples} samples written (${stored} rows incl. the priming tick)`);
    lines.push(`collector process CPU: ${Math.round(cpuMs)} ms over ${(wallMs / 1000).toFixed(1)} s = ${percent.toFixed(2)} % of one core`);
    lines.push(`per tick: CPU median ${ms(median(tickCpuMs))}, wall median ${ms(median(tickMs))} (max ${ms(Math.max(...tickMs))})`);
    lines.push(`dockerd CPU over the same window (info; shared engine): ${dockerdPercent === null ? "not readable" : `${dockerdPercent.toFixed(2)} % of one core`}`);
    return {
      scenario: "usage",
      ok: true,
      wallMs: 0,
      lines,
      checks: [
        check("collector CPU, % of one core", Number(percent.toFixed(2)), `< ${TARGET_PERCENT}`, percent < TARGET_PERCENT),
        check("samples per tick", samples / ticks, `= ${count}`, samples === count * ticks),
        check("tick wall time (median)", Math.round(median(tickMs)), `< ${intervalMs} ms`, median(tickMs) < intervalMs),
      ],
      data: { count, ticks, intervalMs, cpuMs, wallMs, percent, tickMs, tickCpuMs, dockerdPercent, samples },
    };
  } finally {
    progress("usage: removing containers");
    for (const id of ids) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
  }
}
