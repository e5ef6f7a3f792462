import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { logger } from "../logger";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { TEST_NETWORK } from "../../test/helpers/http";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { listDeployments } from "../instances/list-deployments";
import { waitForJob } from "./jobs";
import { listInstances } from "../instances/list-instances";
import { removeInstance } from "./remove-instance";

// Container output is untrusted and may hold secrets (apps print them at
// start-up): a crashing container's output must reach no error, API answer,
// audit row or log line (SPEC §12). Real dockerd, real test image: the crash
// image prints a marker line on stderr and exits 3 (test/images/build.sh).
const MARKER = "wharf-test crash: exiting with code 3";
const rand = randomBytes(3).toString("hex");
const lines: string[] = [];
const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
const level = logger.level;

beforeAll(async () => {
  // Capture every pino line (children made from now on share this stream).
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = { write: (s: string) => void lines.push(s) };
  logger.level = "debug";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: `out-${rand}.wharf.test`, docker: { network: TEST_NETWORK }, proxy: { upstream: { mode: "host", hostAddress: "127.0.0.1" } } } });
});

afterAll(async () => {
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = stream;
  logger.level = level;
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

describe("container output stays out of Wharf", () => {
  it("the image really prints the marker (so its absence below means something)", () => {
    const run = spawnSync("docker", ["run", "--rm", "--network", "none", "--name", `wharf-it-marker-${rand}`, "wharf-test/crash:v1"], { encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(3);
    expect(run.stderr + run.stdout).toContain(MARKER);
  });

  it("a container that prints a fake secret and crashes leaves it in no error, API answer, audit row or log line", async () => {
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `leak-${rand}`, image: "wharf-test/crash:v1", port: 8080 } });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.status).toBe("failed");
    // Exited or, with the restart policy, restarting: the reason names the exit code, not the output.
    expect(inst.error).toMatch(/exit code 3\)? during the health wait; see its logs$/);
    const answers = JSON.stringify({ inst, list: await listInstances(), deployments: await listDeployments({ instanceId: created.id }) });
    expect(answers).not.toContain("wharf-test crash");
    const rows = JSON.stringify({
      deployments: await db.deployment.findMany({ where: { instanceId: created.id }, include: { steps: true } }),
      audit: await db.auditEvent.findMany(),
      instance: await db.instance.findUnique({ where: { id: created.id } }),
    });
    expect(rows).toContain("exit code 3");
    expect(rows).not.toContain("wharf-test crash");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).toContain(created.id);
    expect(lines.join("")).not.toContain(MARKER);
  });
});
