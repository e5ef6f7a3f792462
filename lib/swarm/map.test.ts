import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { nodeInfo, outOfSequence, secretName, serviceBody, serviceInfo, sortTasks, taskInfo, taskRunsCurrentSpec, validateServiceSpec, type RawService, type RawTask } from "./map";
import type { ServiceSpec } from "./types";

const SECRET = "pa55-word-value";

function spec(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: "wharf-shop",
    image: "registry.example/shop@sha256:" + "a".repeat(64),
    env: { MODE: "prod" },
    secrets: { DB_PASSWORD: SECRET },
    labels: { "wharf.managed": "true", "wharf.instance": "i1" },
    port: 8080,
    replicas: 2,
    constraints: ["node.labels.zone==a"],
    limits: { memoryBytes: 256 * 1024 * 1024, nanoCpus: 500_000_000 },
    reservations: { memoryBytes: null, nanoCpus: null },
    healthcheck: { test: ["CMD", "true"], intervalMs: 2_000, timeoutMs: 1_000, retries: 3, startPeriodMs: 500 },
    mounts: [{ name: "shop-data", target: "/data" }],
    update: { parallelism: 1, monitorMs: 5_000, order: "start-first" },
    networks: ["wharf-overlay"],
    registryAuth: { username: "u", password: "registry-pass", serveraddress: "registry.example" },
    command: ["serve"],
    entrypoint: ["/bin/app"],
    ...over,
  };
}

function invalid(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("VALIDATION");
    return err as AppError;
  }
  throw new Error("expected a validation error");
}

describe("secretName", () => {
  it("is content-addressed: same value same name, new value new name", () => {
    const a = secretName("wharf-shop", "DB_PASSWORD", SECRET);
    expect(a).toMatch(/^wharf-shop-db_password-[0-9a-f]{12}$/);
    expect(secretName("wharf-shop", "DB_PASSWORD", SECRET)).toBe(a);
    expect(secretName("wharf-shop", "DB_PASSWORD", SECRET + "x")).not.toBe(a);
    expect(a).not.toContain(SECRET);
  });

  it("stays within Docker's 64 characters for long names, keeping the hash", () => {
    const n = secretName("wharf-" + "x".repeat(60), "A_VERY_LONG_SECRET_KEY_NAME", "v");
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/-[0-9a-f]{12}$/);
  });
});

describe("serviceBody", () => {
  const body = serviceBody(spec(), { DB_PASSWORD: { id: "sec1", name: "wharf-shop-db_password-abc" } }, 4);
  const tt = body.TaskTemplate as Record<string, Record<string, unknown>>;
  const cs = tt.ContainerSpec;

  it("never holds a secret value or the registry password", () => {
    const json = JSON.stringify(body);
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain("registry-pass");
  });

  it("delivers secrets as root-readable files with <KEY>_FILE in the environment", () => {
    expect(cs.Env).toEqual(["MODE=prod", "DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD"]);
    expect(cs.Secrets).toEqual([{ SecretID: "sec1", SecretName: "wharf-shop-db_password-abc", File: { Name: "DB_PASSWORD", UID: "0", GID: "0", Mode: 0o400 } }]);
  });

  it("converts durations to nanoseconds and keeps Swarm's entrypoint/command split", () => {
    expect(cs.HealthCheck).toEqual({ Test: ["CMD", "true"], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 5e8 });
    expect(cs.StopGracePeriod).toBe(2e9);
    expect(cs.Init).toBe(true);
    expect(cs.Command).toEqual(["/bin/app"]);
    expect(cs.Args).toEqual(["serve"]);
    expect(body.UpdateConfig).toEqual({ Parallelism: 1, Delay: 0, FailureAction: "rollback", Monitor: 5e9, MaxFailureRatio: 0, Order: "start-first" });
    expect(body.RollbackConfig).toMatchObject({ Parallelism: 1, Monitor: 5e9, Order: "start-first" });
  });

  it("publishes in host mode with an engine-chosen port and no VIP", () => {
    expect(body.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: 8080, PublishMode: "host" }] });
  });

  it("carries replicas, labels, limits, constraints, mounts, networks and the given ForceUpdate", () => {
    expect(body.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(body.Labels).toEqual(spec().labels);
    expect(cs.Labels).toEqual(spec().labels);
    expect(tt.Resources).toEqual({ Limits: { MemoryBytes: 256 * 1024 * 1024, NanoCPUs: 500_000_000 }, Reservations: {} });
    expect(tt.Placement).toEqual({ Constraints: ["node.labels.zone==a"] });
    expect(cs.Mounts).toEqual([{ Type: "volume", Source: "shop-data", Target: "/data" }]);
    expect(tt.Networks).toEqual([{ Target: "wharf-overlay" }]);
    expect(tt.ForceUpdate).toBe(4);
  });

  it("leaves the image's health check and command alone when none is given", () => {
    const b = serviceBody(spec({ healthcheck: null, command: null, entrypoint: null, secrets: {} }), {});
    const c = (b.TaskTemplate as Record<string, Record<string, unknown>>).ContainerSpec;
    expect(c).not.toHaveProperty("HealthCheck");
    expect(c).not.toHaveProperty("Command");
    expect(c).not.toHaveProperty("Args");
    expect(c.Secrets).toEqual([]);
  });
});

describe("validateServiceSpec", () => {
  it("names the offending field", () => {
    expect(invalid(() => validateServiceSpec(spec({ name: "bad name" }))).field).toBe("name");
    expect(invalid(() => validateServiceSpec(spec({ image: " " }))).field).toBe("image");
    expect(invalid(() => validateServiceSpec(spec({ port: 0 }))).field).toBe("port");
    expect(invalid(() => validateServiceSpec(spec({ replicas: 1.5 }))).field).toBe("replicas");
    expect(invalid(() => validateServiceSpec(spec({ env: { "A-B": "x" } }))).field).toBe("env.A-B");
    expect(invalid(() => validateServiceSpec(spec({ env: { DB_PASSWORD_FILE: "/x" } }))).field).toBe("secrets.DB_PASSWORD");
    expect(invalid(() => validateServiceSpec(spec({ update: { parallelism: -1, monitorMs: 0, order: "start-first" } }))).field).toBe("update.parallelism");
    expect(() => validateServiceSpec(spec())).not.toThrow();
  });
});

describe("reading the engine's answers", () => {
  const service: RawService = {
    ID: "svc1",
    Version: { Index: 42 },
    Spec: {
      Name: "wharf-shop",
      Labels: { "wharf.managed": "true" },
      TaskTemplate: { ContainerSpec: { Image: "img@sha256:new", Env: ["A=1"] }, Resources: { Limits: {} }, ForceUpdate: 0, RestartPolicy: { Condition: "any" } },
      Mode: { Replicated: { Replicas: 3 } },
    },
    PreviousSpec: { TaskTemplate: { ContainerSpec: { Image: "img@sha256:old" } } },
    UpdateStatus: { State: "rollback_completed", Message: "rollback completed" },
  };

  it("maps a service", () => {
    expect(serviceInfo(service)).toEqual({
      id: "svc1",
      name: "wharf-shop",
      version: 42,
      labels: { "wharf.managed": "true" },
      image: "img@sha256:new",
      replicas: 3,
      updateState: "rollback_completed",
      updateMessage: "rollback completed",
      previousImage: "img@sha256:old",
    });
    expect(serviceInfo({ ...service, UpdateStatus: null, PreviousSpec: null })).toMatchObject({ updateState: null, updateMessage: null, previousImage: null });
  });

  it("maps a task with its node and the port published for the service's target port", () => {
    const task: RawTask = {
      ID: "t1",
      NodeID: "n2",
      DesiredState: "running",
      UpdatedAt: "2026-12-07T10:00:00Z",
      Spec: { ContainerSpec: { Image: "img@sha256:new", Env: ["A=1"] }, Resources: { Limits: {} }, ForceUpdate: 0 },
      Status: { State: "running", ContainerStatus: { ContainerID: "c1" }, PortStatus: { Ports: [{ TargetPort: 9000, PublishedPort: 1 }, { TargetPort: 8080, PublishedPort: 30001 }] } },
    };
    expect(taskInfo(task, 8080, new Map([["n2", { hostname: "h2", address: "198.18.0.12" }]]))).toEqual({
      id: "t1",
      nodeId: "n2",
      node: "h2",
      nodeAddress: "198.18.0.12",
      state: "running",
      desiredState: "running",
      publishedPort: 30001,
      containerId: "c1",
      image: "img@sha256:new",
      error: null,
      updatedAt: "2026-12-07T10:00:00Z",
    });
    expect(taskRunsCurrentSpec(task, service)).toBe(true);
    expect(taskRunsCurrentSpec({ ...task, Spec: { ...task.Spec, ContainerSpec: { Image: "img@sha256:old", Env: ["A=1"] } } }, service)).toBe(false);
    expect(taskRunsCurrentSpec({ ...task, Spec: { ...task.Spec, ForceUpdate: 1 } }, service)).toBe(false);
    expect(taskRunsCurrentSpec({ ...task, Spec: { ...task.Spec, Resources: { Limits: { MemoryBytes: 1 } } } }, service)).toBe(false);
    const pending = taskInfo({ ID: "t2", Status: { State: "pending" } }, 8080, new Map());
    expect(pending).toMatchObject({ publishedPort: null, containerId: null, node: "", state: "pending" });
  });

  it("sorts tasks meant to run first, newest first", () => {
    const t = (id: string, desiredState: string, updatedAt: string) => ({ ...taskInfo({ ID: id }, null, new Map()), desiredState, updatedAt });
    expect(sortTasks([t("a", "shutdown", "3"), t("b", "running", "1"), t("c", "running", "2")]).map((x) => x.id)).toEqual(["c", "b", "a"]);
  });

  it("maps a node, falling back to the manager address when Status.Addr is 0.0.0.0", () => {
    expect(
      nodeInfo({
        ID: "n1",
        Spec: { Role: "manager", Availability: "drain", Labels: { zone: "a" } },
        Description: { Hostname: "h1", Engine: { EngineVersion: "20.10.24" } },
        Status: { State: "ready", Addr: "0.0.0.0" },
        ManagerStatus: { Addr: "198.18.0.11:2377" },
      }),
    ).toEqual({ id: "n1", hostname: "h1", role: "manager", availability: "drain", state: "ready", address: "198.18.0.11", labels: { zone: "a" }, engineLabels: {}, platform: { os: "", arch: "" }, engineVersion: "20.10.24" });
  });

  it("recognises the out-of-sequence answer", () => {
    expect(outOfSequence(new Error("Docker update of service x failed: rpc error: code = Unknown desc = update out of sequence"))).toBe(true);
    expect(outOfSequence(new Error("no such service"))).toBe(false);
  });
});
