import { readFile } from "node:fs/promises";
import type Docker from "dockerode";

/** TcpExt ListenOverflows of the network namespace `pid` lives in (/proc/<pid>/net is per namespace). */
async function listenOverflows(pid: number): Promise<number | null> {
  try {
    const lines = (await readFile(`/proc/${pid}/net/netstat`, "utf8")).split("\n").filter((l) => l.startsWith("TcpExt:"));
    const keys = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[keys.indexOf("ListenOverflows")]);
  } catch {
    return null;
  }
}

/**
 * Samples, every `intervalMs`, how many connections the containers matching
 * `label` turned away because their listen queue was full (busybox httpd
 * listens with a short backlog). Each such SYN is retried by the client after
 * 1 s, then 3 s: the source of the test rig's own wrk timeouts. Counters live
 * as long as a container runs; the last sample of each counts.
 */
export function sampleListenOverflows(docker: Docker, label: string, intervalMs = 250) {
  const last = new Map<string, number>();
  const pids = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const c of await docker.listContainers({ filters: { label: [label], status: ["running"] } })) {
          if (!pids.has(c.Id)) pids.set(c.Id, (await docker.getContainer(c.Id).inspect()).State.Pid);
          const n = await listenOverflows(pids.get(c.Id)!);
          if (n !== null) last.set(c.Id, n);
        }
      } catch {
        /* a container went away between list and inspect: next round */
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return [...last.values()].reduce((a, b) => a + b, 0);
    },
  };
}
