import { describe, expect, it } from "vitest";
import { createBody, cpuPercent, statsFromRaw } from "../docker/map";
import { containerSpecFor } from "./container-plan";
import { joinArgv, splitArgv } from "./argv";
import { isUnder, specOf } from "./runtime-spec";
import { ZCreateInstanceSchema, ZRedeploySchema } from "./schemas";
import { parseInput } from "../validation";
import { volumeName } from "../naming";
import { defaultSettings } from "../settings/defaults";
import type { Instance } from "../generated/prisma/client";

const ok = { name: "app", image: "nginx:1.27", port: 80 };
function fieldOf(body: Record<string, unknown>, schema: typeof ZCreateInstanceSchema | typeof ZRedeploySchema = ZCreateInstanceSchema): string | undefined {
  try {
    parseInput(schema, body);
  } catch (err) {
    return (err as { field?: string }).field;
  }
  return "accepted";
}

describe("mount, limit and command validation", () => {
  it("names the field of a bad mount", () => {
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "data" }] })).toBe("mounts.0.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/" }] })).toBe("mounts.0.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/a/../etc" }] })).toBe("mounts.0.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/a//b" }] })).toBe("mounts.0.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/a:/b" }] })).toBe("mounts.0.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/data" }, { type: "bind", source: "/srv/x", target: "/data" }] })).toBe("mounts.1.target");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", name: "v1", target: "/a" }, { type: "volume", name: "v1", target: "/b" }] })).toBe("mounts.1.name");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", name: "-bad", target: "/a" }] })).toBe("mounts.0.name");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", name: "x", target: "/a" }] })).toBe("mounts.0.name");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", name: "has space", target: "/a" }] })).toBe("mounts.0.name");
    expect(fieldOf({ ...ok, mounts: [{ type: "bind", source: "relative/dir", target: "/a" }] })).toBe("mounts.0.source");
    expect(fieldOf({ ...ok, mounts: [{ type: "bind", source: "/srv/../etc", target: "/a" }] })).toBe("mounts.0.source");
    expect(fieldOf({ ...ok, mounts: [{ type: "tmpfs", target: "/a" }] })).toBe("mounts.0.type");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", target: "/a", extra: 1 }] })).toBe("mounts.0.extra");
    expect(fieldOf({ ...ok, mounts: [{ type: "volume", name: "my-data_1.0", target: "/var/lib/app" }, { type: "bind", source: "/srv/site", target: "/www", readOnly: true }] })).toBe("accepted");
  });

  it("names the field of a bad limit or command", () => {
    expect(fieldOf({ ...ok, limits: { memoryMb: 4 } })).toBe("limits.memoryMb");
    expect(fieldOf({ ...ok, limits: { memoryMb: 1.5 } })).toBe("limits.memoryMb");
    expect(fieldOf({ ...ok, limits: { cpus: 0 } })).toBe("limits.cpus");
    expect(fieldOf({ ...ok, limits: { cpus: 0.123 } })).toBe("limits.cpus");
    expect(fieldOf({ ...ok, limits: { cpus: "half" } })).toBe("limits.cpus");
    expect(fieldOf({ ...ok, limits: { pidsLimit: 0 } })).toBe("limits.pidsLimit");
    expect(fieldOf({ ...ok, limits: { swap: 1 } })).toBe("limits.swap");
    expect(fieldOf({ ...ok, command: "sh -c x" })).toBe("command");
    expect(fieldOf({ ...ok, command: [] })).toBe("command");
    expect(fieldOf({ ...ok, entrypoint: ["a\u0000b"] })).toBe("entrypoint.0");
    expect(fieldOf({ ...ok, deployStrategy: "rolling" })).toBe("deployStrategy");
    expect(fieldOf({ ...ok, limits: { memoryMb: 512, cpus: 1.5, pidsLimit: 200 }, command: ["sh", "-c", "x"], entrypoint: null, deployStrategy: "stop-first" })).toBe("accepted");
    expect(fieldOf({ limits: { cpus: null }, command: null }, ZRedeploySchema)).toBe("accepted");
  });
});

describe("volume names", () => {
  it("are stable, valid Docker names, distinct for targets that flatten alike", () => {
    const a = volumeName("web", "/var/lib/data");
    expect(a).toBe(volumeName("web", "/var/lib/data"));
    expect(a).toMatch(/^wharf-web-var-lib-data-[0-9a-f]{6}$/);
    expect(volumeName("web", "/a/b")).not.toBe(volumeName("web", "/a-b"));
    expect(volumeName("web", "/.hidden")).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
    expect(volumeName("web", "/" + "x".repeat(300)).length).toBeLessThanOrEqual(255);
  });

  it("a bind source is judged under the root without string-prefix mistakes", () => {
    expect(isUnder("/srv/wharf", "/srv/wharf")).toBe(true);
    expect(isUnder("/srv/wharf", "/srv/wharf/site")).toBe(true);
    expect(isUnder("/srv/wharf", "/srv/wharfish")).toBe(false);
    expect(isUnder("/srv/wharf", "/srv")).toBe(false);
    expect(isUnder("/srv/wharf", "/etc")).toBe(false);
  });
});

describe("container spec → engine body", () => {
  const instance = {
    id: "i1", name: "web", port: 8080, env: "[]", restartPolicy: "unless-stopped",
    mounts: JSON.stringify([{ type: "volume", name: "wharf-web-data-abc123", target: "/data" }, { type: "bind", source: "/srv/site", target: "/www", readOnly: true }]),
    memoryMb: 32, cpus: 0.1, pidsLimit: 50, command: JSON.stringify(["sh", "-c", "echo hi"]), entrypoint: null, deployStrategy: "blue-green",
  } as unknown as Instance;

  it("maps mounts, limits (NanoCpus rounded, swap capped) and the command", () => {
    const body = createBody(containerSpecFor({ instance, deploymentId: "dep123456789", image: "img:1", settings: defaultSettings() }));
    expect(body.HostConfig?.Mounts).toEqual([
      { Type: "volume", Source: "wharf-web-data-abc123", Target: "/data" },
      { Type: "bind", Source: "/srv/site", Target: "/www", ReadOnly: true },
    ]);
    expect(body.HostConfig?.Memory).toBe(32 * 1024 * 1024);
    expect(body.HostConfig?.MemorySwap).toBe(32 * 1024 * 1024);
    expect(body.HostConfig?.NanoCpus).toBe(100_000_000);
    expect(body.HostConfig?.PidsLimit).toBe(50);
    expect(body.Cmd).toEqual(["sh", "-c", "echo hi"]);
    expect(body).not.toHaveProperty("Entrypoint");
  });

  it("leaves everything to the image when nothing is set", () => {
    const bare = { ...instance, mounts: "[]", memoryMb: null, cpus: null, pidsLimit: null, command: null } as Instance;
    const body = createBody(containerSpecFor({ instance: bare, deploymentId: "dep123456789", image: "img:1", settings: defaultSettings() }));
    expect(body.HostConfig?.Mounts).toBeUndefined();
    for (const k of ["Memory", "MemorySwap", "NanoCpus", "PidsLimit"]) expect(body.HostConfig).not.toHaveProperty(k);
    expect(body).not.toHaveProperty("Cmd");
    expect(specOf(bare)).toEqual({ mounts: [], limits: { memoryMb: null, cpus: null, pidsLimit: null }, reservations: { memoryMb: null, cpus: null }, command: null, entrypoint: null, deployStrategy: "blue-green" });
  });
});

describe("stats", () => {
  const raw = (total: number, system: number, extra: Record<string, unknown> = {}) => ({
    read: "2026-12-01T10:00:00.000Z",
    cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 },
    memory_stats: { usage: 10_000_000, limit: 33_554_432, stats: { total_inactive_file: 2_000_000 } },
    networks: { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: "Read", value: 4096 }, { op: "Write", value: 8192 }, { op: "Total", value: 12288 }] },
    ...extra,
  });

  it("reduces a one-shot read the way docker stats shows it", () => {
    const s = statsFromRaw(raw(1e9, 1e11))!;
    expect(s).toMatchObject({ memoryBytes: 8_000_000, memoryLimitBytes: 33_554_432, netRx: 101, netTx: 52, blockRead: 4096, blockWrite: 8192, onlineCpus: 2 });
    expect(statsFromRaw({ read: "0001-01-01T00:00:00Z", memory_stats: {} })).toBeNull();
  });

  it("computes CPU % from two reads; none from the first or across a restart", () => {
    const a = statsFromRaw(raw(1e9, 100e9))!;
    const b = statsFromRaw(raw(1.5e9, 102e9))!;
    // 0.5 s of CPU over 2 s of host time on 2 CPUs (host time counts every CPU): 0.5/2 × 2 × 100 = 50 %.
    expect(cpuPercent(a, b)).toBeCloseTo(50);
    expect(cpuPercent(undefined, b)).toBeNull();
    expect(cpuPercent(b, a)).toBeNull();
  });
});

describe("command line splitting (no shell)", () => {
  it("splits like a shell, without expanding anything", () => {
    expect(splitArgv(`sh -c 'echo a | b > c'`)).toEqual(["sh", "-c", "echo a | b > c"]);
    expect(splitArgv(`a "b c" d\\ e`)).toEqual(["a", "b c", "d e"]);
    expect(splitArgv("echo $HOME *.txt")).toEqual(["echo", "$HOME", "*.txt"]);
    expect(splitArgv(`a "" b`)).toEqual(["a", "", "b"]);
    expect(splitArgv("   ")).toBeNull();
    expect(() => splitArgv("it's")).toThrow(/unclosed quote/);
  });

  it("joins back to a line that splits to the same array", () => {
    for (const argv of [["sh", "-c", "echo 'hi' && x"], ["a b", ""], ["tail", "/dev/zero"], ["$X", "*", "\\"]]) expect(splitArgv(joinArgv(argv))).toEqual(argv);
    expect(joinArgv(null)).toBe("");
  });
});

describe("form text forms", async () => {
  const { parseMountLines, mountLines, specFromForm } = await import("./spec-form");
  it("reads docker -v style mount lines", () => {
    expect(parseMountLines("/data\nmydata:/var/lib/db\n\n# comment\n/srv/site:/www:ro\n/srv/rw:/rw:rw")).toEqual([
      { type: "volume", target: "/data" },
      { type: "volume", name: "mydata", target: "/var/lib/db" },
      { type: "bind", source: "/srv/site", target: "/www", readOnly: true },
      { type: "bind", source: "/srv/rw", target: "/rw", readOnly: false },
    ]);
    expect(() => parseMountLines("/data\na:b:c:d")).toThrow(/mounts\.1: line 2/);
    expect(() => parseMountLines("vol:/x:ro")).toThrow(/bind mounts/);
    expect(mountLines([{ type: "volume", name: "v", target: "/d" }, { type: "bind", source: "/s", target: "/t", readOnly: true }])).toBe("v:/d\n/s:/t:ro");
  });

  it("turns a form into the API body: blank limits clear, absent fields stay absent", () => {
    const f = new FormData();
    f.set("mounts", "/data");
    f.set("limits.memoryMb", "256");
    f.set("limits.cpus", "");
    f.set("limits.pidsLimit", "lots");
    f.set("command", `sh -c 'echo hi'`);
    f.set("deployStrategy", "stop-first");
    expect(specFromForm(f)).toEqual({
      mounts: [{ type: "volume", target: "/data" }],
      limits: { memoryMb: 256, cpus: null, pidsLimit: "lots" },
      command: ["sh", "-c", "echo hi"],
      deployStrategy: "stop-first",
    });
    const g = new FormData();
    g.set("entrypoint", `"unclosed`);
    expect(() => specFromForm(g)).toThrow(/entrypoint: has an unclosed quote/);
    expect(specFromForm(new FormData())).toEqual({});
  });
});
