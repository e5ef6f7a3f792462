// Pure downsampling of usage samples (issue 14): full resolution for the last
// hour, BUCKET_S averages up to 24 h, nothing older. Gauges (CPU %, memory)
// are averaged; counters (network, block I/O, cumulative since the
// container started) keep their last value, so rates stay computable.

export const RAW_KEEP_MS = 60 * 60 * 1000;
export const RETENTION_MS = 24 * 60 * 60 * 1000;
export const BUCKET_S = 300;

export interface TSampleRow {
  instanceId: string;
  at: Date;
  resolution: number;
  cpuPercent: number | null;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}

/** One row per instance and BUCKET_S window, stamped at the window's start. */
export function downsample(rows: TSampleRow[]): TSampleRow[] {
  const groups = new Map<string, TSampleRow[]>();
  for (const r of rows) {
    const bucket = Math.floor(r.at.getTime() / (BUCKET_S * 1000)) * BUCKET_S * 1000;
    const key = `${r.instanceId}\u0000${bucket}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const out: TSampleRow[] = [];
  for (const [key, list] of groups) {
    const bucket = Number(key.split("\u0000")[1]);
    const cpus = list.map((r) => r.cpuPercent).filter((v): v is number => v !== null);
    const last = list.reduce((a, b) => (b.at > a.at ? b : a));
    out.push({
      instanceId: list[0].instanceId,
      at: new Date(bucket),
      resolution: BUCKET_S,
      cpuPercent: cpus.length ? cpus.reduce((a, b) => a + b, 0) / cpus.length : null,
      memoryBytes: list.reduce((a, r) => a + r.memoryBytes, 0) / list.length,
      memoryLimitBytes: last.memoryLimitBytes,
      netRx: last.netRx,
      netTx: last.netTx,
      blockRead: last.blockRead,
      blockWrite: last.blockWrite,
    });
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime() || a.instanceId.localeCompare(b.instanceId));
}
