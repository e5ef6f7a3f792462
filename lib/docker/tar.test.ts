import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tarFiles } from "./tar";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("tarFiles", () => {
  it("is read back by GNU tar with names, contents and modes intact", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-tar-"));
    dirs.push(dir);
    const big = "x".repeat(1500);
    writeFileSync(path.join(dir, "a.tar"), tarFiles([{ name: "wharf-caddy.json", content: '{"admin":{}}' }, { name: "sub/big.txt", content: big }]));
    execFileSync("mkdir", ["-p", path.join(dir, "out/sub")]);
    const listing = execFileSync("tar", ["-tvf", path.join(dir, "a.tar")], { encoding: "utf8" });
    expect(listing).toMatch(/-rw-r--r-- .* 12 .*wharf-caddy\.json/);
    execFileSync("tar", ["-xf", path.join(dir, "a.tar"), "-C", path.join(dir, "out")]);
    expect(readFileSync(path.join(dir, "out/wharf-caddy.json"), "utf8")).toBe('{"admin":{}}');
    expect(readFileSync(path.join(dir, "out/sub/big.txt"), "utf8")).toBe(big);
  });

  it("carries directories and each entry's owner and mode", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-tar-"));
    dirs.push(dir);
    writeFileSync(path.join(dir, "a.tar"), tarFiles([{ name: "data", dir: true, mode: 0o700, uid: 1234, gid: 1235 }, { name: "data/c.json", content: "{}", uid: 1234, gid: 1235 }]));
    const listing = execFileSync("tar", ["--numeric-owner", "-tvf", path.join(dir, "a.tar")], { encoding: "utf8" }).trim().split("\n");
    expect(listing[0]).toMatch(/^drwx------ 1234\/1235 +0 .* data\/?$/);
    expect(listing[1]).toMatch(/^-rw-r--r-- 1234\/1235 +2 .* data\/c\.json$/);
  });

  it("refuses absolute, escaping and over-long names", () => {
    expect(() => tarFiles([{ name: "/etc/passwd", content: "" }])).toThrow(/relative path/);
    expect(() => tarFiles([{ name: "../x", content: "" }])).toThrow(/relative path/);
    expect(() => tarFiles([{ name: "a".repeat(101), content: "" }])).toThrow(/100 bytes/);
  });
});
