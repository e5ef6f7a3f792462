import { describe, expect, it } from "vitest";
import { parseInput } from "../validation";
import { ZSettingsUpdateSchema, type TManagedProxyConfig } from "../settings/schemas";
import { resetEnvCache } from "../env";
import {
  managedAdminDir,
  managedAdminDirOnHost,
  managedAdminUrl,
  managedCaddyConfig,
  managedCaddyJson,
  managedCaddyUser,
  managedConfigHash,
  reloadSafeSysctls,
  managedPortBindings,
  takenPort,
} from "./managed-caddy";

const config: TManagedProxyConfig = { type: "managed", image: "caddy:2", httpPort: 80, httpsPort: 443, bindAddress: "0.0.0.0" };

describe("managed Caddy plan", () => {
  it("starts Caddy listening on the published port numbers, admin on a unix socket only (no TCP listener)", () => {
    expect(managedCaddyJson({ httpPort: 8080, httpsPort: 8443 })).toEqual({
      admin: { listen: "unix//run/wharf-admin/admin.sock", config: { persist: false } },
      apps: {
        pki: { certificate_authorities: { local: { install_trust: false } } },
        http: { http_port: 8080, https_port: 8443, servers: { wharf: { listen: [":8080", ":8443"], routes: [] } } },
      },
    });
  });

  it("publishes 80/443 on the bind address and nothing else", () => {
    expect(managedPortBindings(config)).toEqual([
      { containerPort: 80, hostPort: 80, hostIp: "0.0.0.0", field: "proxy.provider.httpPort" },
      { containerPort: 443, hostPort: 443, hostIp: "0.0.0.0", field: "proxy.provider.httpsPort" },
    ]);
  });

  it("reaches the admin API through the socket in Wharf's data dir, bind-mounted from the host path when Wharf runs in a container", () => {
    const previous = process.env.WHARF_DATA_DIR;
    process.env.WHARF_DATA_DIR = "/srv/wharf/data";
    resetEnvCache();
    try {
      expect(managedAdminDir()).toBe("/srv/wharf/data/managed-caddy/wharf-caddy");
      expect(managedAdminUrl()).toBe("unix:///srv/wharf/data/managed-caddy/wharf-caddy/admin.sock");
      expect(managedCaddyConfig()).toEqual({ type: "caddy", adminUrl: "unix:///srv/wharf/data/managed-caddy/wharf-caddy/admin.sock", server: "wharf" });
      expect(managedAdminDirOnHost()).toBe(managedAdminDir());
      process.env.WHARF_HOST_DATA_DIR = "/home/me/wharf/data";
      resetEnvCache();
      expect(managedAdminDirOnHost()).toBe("/home/me/wharf/data/managed-caddy/wharf-caddy");
      expect(managedAdminDir()).toBe("/srv/wharf/data/managed-caddy/wharf-caddy");
    } finally {
      delete process.env.WHARF_HOST_DATA_DIR;
      if (previous === undefined) delete process.env.WHARF_DATA_DIR;
      else process.env.WHARF_DATA_DIR = previous;
      resetEnvCache();
    }
  });

  it("runs Caddy as Wharf's own uid:gid", () => {
    expect(managedCaddyUser()).toBe(`${process.getuid!()}:${process.getgid!()}`);
  });

  it("hashes everything the container is built from", () => {
    const h = managedConfigHash(config, "wharf");
    expect(managedConfigHash({ ...config }, "wharf")).toBe(h);
    expect(managedConfigHash({ ...config, image: "caddy:2.8" }, "wharf")).not.toBe(h);
    expect(managedConfigHash({ ...config, httpPort: 8080 }, "wharf")).not.toBe(h);
    expect(managedConfigHash(config, "other")).not.toBe(h);
    // The reload-safe sysctl is part of what the container is made from (a kernel that has it re-creates an older container once).
    expect(managedConfigHash(config, "wharf", {})).toBe(h);
    expect(managedConfigHash(config, "wharf", { "net.ipv4.tcp_migrate_req": "1" })).not.toBe(h);
  });

  it("reads the taken port from both of the engine's wordings", () => {
    expect(takenPort("driver failed programming external connectivity on endpoint wharf-caddy (abc): Bind for 127.0.0.1:24543 failed: port is already allocated")).toEqual({ port: 24543, heldBy: "container" });
    expect(takenPort("driver failed programming external connectivity on endpoint wharf-caddy (abc): Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: address already in use")).toEqual({ port: 80, heldBy: "process" });
    expect(takenPort("listen tcp6 [::]:443: bind: address already in use")).toEqual({ port: 443, heldBy: "process" });
    expect(takenPort("no such image")).toBeNull();
  });
});

describe("proxy.provider type managed (settings schema)", () => {
  it("fills the defaults: caddy:2 on 80/443 of every interface", () => {
    expect(parseInput(ZSettingsUpdateSchema, { proxy: { provider: { type: "managed" } } }).proxy?.provider).toEqual(config);
  });

  it("accepts and drops the adminPort older clients send (the admin API has no port any more)", () => {
    expect(parseInput(ZSettingsUpdateSchema, { proxy: { provider: { type: "managed", adminPort: 2119 } } }).proxy?.provider).toEqual(config);
  });

  it("names the field of a bad port, image or address", () => {
    const fieldOf = (provider: Record<string, unknown>) => {
      try {
        parseInput(ZSettingsUpdateSchema, { proxy: { provider: { type: "managed", ...provider } } });
        return null;
      } catch (err) {
        return (err as { field?: string }).field;
      }
    };
    expect(fieldOf({ httpPort: 0 })).toBe("proxy.provider.httpPort");
    expect(fieldOf({ httpsPort: 70000 })).toBe("proxy.provider.httpsPort");
    expect(fieldOf({ httpPort: 8080, httpsPort: 8080 })).toBe("proxy.provider.httpsPort");
    expect(fieldOf({ image: "bad image" })).toBe("proxy.provider.image");
    expect(fieldOf({ bindAddress: "example.com" })).toBe("proxy.provider.bindAddress");
  });
});

describe("reloadSafeSysctls", () => {
  it("asks for tcp_migrate_req from Linux 5.14 on, and nothing before or when the kernel is unknown", () => {
    const on = { "net.ipv4.tcp_migrate_req": "1" };
    expect(reloadSafeSysctls("6.18.44-fc-v1272")).toEqual(on);
    expect(reloadSafeSysctls("5.14.0-362.el9.x86_64")).toEqual(on);
    expect(reloadSafeSysctls("10.0.1")).toEqual(on);
    expect(reloadSafeSysctls("5.13.19")).toEqual({});
    expect(reloadSafeSysctls("5.10.0-28-amd64")).toEqual({});
    expect(reloadSafeSysctls("4.19.0")).toEqual({});
    expect(reloadSafeSysctls("")).toEqual({});
    expect(reloadSafeSysctls("linuxkit")).toEqual({});
  });
});
