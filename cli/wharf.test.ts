import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The CLI as a user runs it: a child process on its own data folder.
const dataDir = mkdtempSync(path.join(tmpdir(), "wharf-cli-"));
function wharf(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "cli/wharf.ts", ...args], {
    env: { ...process.env, WHARF_DATA_DIR: dataDir, LOG_LEVEL: "silent", DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Each case spawns CLI processes one after another; on a loaded 2-core machine
// one process start alone took 12–22 s, so the unit default of 20 s is too tight.
describe("npm run wharf", { timeout: 120_000 }, () => {
  it("prints usage with exit code 2 for no or unknown commands", () => {
    expect(wharf()).toMatchObject({ code: 2 });
    const bad = wharf("dns", "explode");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command: dns explode");
  });

  it("creates users (a duplicate is a conflict, a bad e-mail names the field)", () => {
    expect(wharf("user", "create", "--email", "ops@example.com", "--password", "long-enough-pw", "--role", "admin")).toMatchObject({ code: 0, out: "user ops@example.com (admin) created\n" });
    const dup = wharf("user", "create", "--email", "ops@example.com", "--password", "long-enough-pw");
    expect(dup.code).toBe(3);
    expect(dup.err).toContain("already exists");
    const bad = wharf("user", "create", "--email", "nope", "--password", "long-enough-pw");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("email:");
  });

  it("creates a token and prints it once on stdout", () => {
    const r = wharf("token", "create", "--name", "ci", "--role", "viewer");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^wharf_[A-Za-z0-9_-]{43}$/);
    expect(r.err).toContain("shown once");
  });

  it("lists DNS and runs a sync; an unreachable Docker engine is reported, not fatal", () => {
    expect(wharf("dns", "list")).toMatchObject({ code: 0, out: "mode: wildcard\n0 record(s)\n" });
    const dry = wharf("dns", "sync", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("dry run: created 0");
    expect(dry.out).toContain("Docker unreachable");
    const add = wharf("dns", "add", "web.example.com");
    expect(add.code).toBe(3);
    expect(add.err).toContain("wildcard mode");
  });
});
