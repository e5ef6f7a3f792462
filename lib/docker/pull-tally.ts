import type { PullProgress } from "./types";

export interface PullCounts {
  bytesDone: number;
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
}

type Layer = { status: string; downloaded: number; size: number; done: boolean };

// Per-layer statuses the engine streams. "Extracting" carries a progressDetail
// too, but of unpacking, not of downloading: it must not count as bytes.
const DOWNLOADED = new Set(["Verifying Checksum", "Download complete", "Extracting", "Pull complete"]);
const FINISHED = new Set(["Pull complete", "Already exists"]);

/** Sums a pull's progress events into layers and downloaded bytes. */
export class PullTally {
  private readonly layers = new Map<string, Layer>();

  add(p: PullProgress): void {
    // Events without a layer id ("Digest: …", "Status: …") and the "Pulling from <repo>" line (its id is the tag).
    if (!p.id || p.status.startsWith("Pulling from")) return;
    const l = this.layers.get(p.id) ?? { status: "", downloaded: 0, size: 0, done: false };
    l.status = p.status;
    if (p.status === "Downloading") {
      if (p.total) l.size = p.total;
      if (p.current !== undefined) l.downloaded = p.current;
    } else if (DOWNLOADED.has(p.status)) {
      l.downloaded = l.size;
    }
    if (FINISHED.has(p.status)) l.done = true;
    this.layers.set(p.id, l);
  }

  counts(): PullCounts {
    let bytesDone = 0;
    let bytesTotal = 0;
    let layersDone = 0;
    for (const l of this.layers.values()) {
      bytesDone += l.downloaded;
      bytesTotal += l.size;
      if (l.done) layersDone++;
    }
    return { bytesDone, bytesTotal, layersDone, layersTotal: this.layers.size };
  }

  /** "2/3 layers, 1.2 MB of 4.0 MB", for the step's message. */
  summary(): string {
    const c = this.counts();
    return `${c.layersDone}/${c.layersTotal} layers, ${formatBytes(c.bytesDone)} of ${formatBytes(c.bytesTotal)}`;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
