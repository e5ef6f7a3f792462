import { describe, expect, it } from "vitest";
import { createBody } from "./map";
import type { ContainerSpec } from "./types";

const spec: ContainerSpec = { name: "wharf-caddy", image: "caddy:2", env: {}, labels: {}, network: "wharf", port: 2019, restartPolicy: "unless-stopped" };

describe("createBody: fixed host ports (managed proxy)", () => {
  it("exposes and binds each port on its own host address", () => {
    const body = createBody({
      ...spec,
      ports: [
        { containerPort: 80, hostPort: 80, hostIp: "0.0.0.0" },
        { containerPort: 443, hostPort: 443, hostIp: "0.0.0.0" },
        { containerPort: 2019, hostPort: 2119, hostIp: "127.0.0.1" },
      ],
    });
    expect(body.ExposedPorts).toEqual({ "2019/tcp": {}, "80/tcp": {}, "443/tcp": {} });
    expect(body.HostConfig?.PortBindings).toEqual({
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "80" }],
      "443/tcp": [{ HostIp: "0.0.0.0", HostPort: "443" }],
      "2019/tcp": [{ HostIp: "127.0.0.1", HostPort: "2119" }],
    });
  });

  it("runs as the spec's user when it names one (the managed proxy runs as Wharf's uid:gid), else as the image's", () => {
    expect(createBody({ ...spec, user: "1000:1000" }).User).toBe("1000:1000");
    expect(createBody(spec).User).toBeUndefined();
  });

  it("keeps publishOn's engine-chosen port beside them, and binds nothing without either", () => {
    const both = createBody({ ...spec, port: 8080, publishOn: "127.0.0.1", ports: [{ containerPort: 80, hostPort: 8081, hostIp: "127.0.0.1" }] });
    expect(both.HostConfig?.PortBindings).toEqual({ "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }], "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8081" }] });
    expect(createBody(spec).HostConfig?.PortBindings).toBeUndefined();
  });
});
