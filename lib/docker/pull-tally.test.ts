import { describe, expect, it } from "vitest";
import { formatBytes, PullTally } from "./pull-tally";

describe("PullTally", () => {
  it("counts downloaded bytes and finished layers, not extraction progress", () => {
    const t = new PullTally();
    t.add({ status: "Pulling from lab/web", id: "v1" });
    t.add({ status: "Already exists", id: "aaa" });
    t.add({ status: "Pulling fs layer", id: "bbb" });
    t.add({ status: "Pulling fs layer", id: "ccc" });
    t.add({ status: "Downloading", id: "bbb", current: 100, total: 1000 });
    t.add({ status: "Downloading", id: "ccc", current: 50, total: 500 });
    expect(t.counts()).toEqual({ bytesDone: 150, bytesTotal: 1500, layersDone: 1, layersTotal: 3 });
    t.add({ status: "Download complete", id: "bbb" });
    t.add({ status: "Extracting", id: "bbb", current: 10, total: 4000 });
    expect(t.counts()).toMatchObject({ bytesDone: 1050, bytesTotal: 1500 });
    t.add({ status: "Pull complete", id: "bbb" });
    t.add({ status: "Downloading", id: "ccc", current: 500, total: 500 });
    t.add({ status: "Pull complete", id: "ccc" });
    t.add({ status: "Digest: sha256:abc" });
    t.add({ status: "Status: Downloaded newer image for 127.0.0.1:5050/lab/web:v1" });
    expect(t.counts()).toEqual({ bytesDone: 1500, bytesTotal: 1500, layersDone: 3, layersTotal: 3 });
    expect(t.summary()).toBe("3/3 layers, 1.5 kB of 1.5 kB");
  });

  it("formats sizes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(524_288)).toBe("512.0 kB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GB");
  });
});
