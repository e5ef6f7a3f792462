import { expect, it } from "vitest";
import { ConsumerLease } from "../consumers/consumer-lease";
import { db } from "../db";
import { runJob, waitForJob } from "./jobs";

/** The instance's consumer lease, held (the job's writes are fenced by it). */
async function heldLease(instanceId: string): Promise<ConsumerLease> {
  const lease = await ConsumerLease.tryAcquire({ type: "instance", id: instanceId }, "redeploy");
  if (!(lease instanceof ConsumerLease)) throw new Error(`instance ${instanceId} is busy: ${lease.busy}`);
  return lease;
}

it("a job whose own failure path throws still closes its deployment and its running step (never left running)", async () => {
  const inst = await db.instance.create({ data: { name: "job-abandoned", image: "wharf-test/web:v1", subdomain: "job-abandoned", port: 8080, status: "failed" } });
  const dep = await db.deployment.create({ data: { instanceId: inst.id, kind: "redeploy", image: "wharf-test/web:v1" } });
  await db.deploymentStep.create({ data: { deploymentId: dep.id, position: 0, name: "health" } });
  const done = await db.deployment.create({ data: { instanceId: inst.id, kind: "deploy", image: "wharf-test/web:v1", status: "succeeded", finishedAt: new Date() } });

  runJob(inst.id, dep.id, await heldLease(inst.id), async () => {
    throw new Error(`An instance in state "failed" cannot accept event "deploy_failed"`);
  });
  await waitForJob(inst.id);

  const row = await db.deployment.findUniqueOrThrow({ where: { id: dep.id }, include: { steps: true } });
  expect(row.status).toBe("failed");
  expect(row.error).toBe(`the job ended unexpectedly: An instance in state "failed" cannot accept event "deploy_failed"`);
  expect(row.finishedAt).not.toBeNull();
  expect(row.steps.map((s) => s.status)).toEqual(["failed"]);
  // Only its own row: another deployment of the instance is untouched.
  expect((await db.deployment.findUniqueOrThrow({ where: { id: done.id } })).status).toBe("succeeded");
});

it("a job that closed its deployment itself keeps what it wrote", async () => {
  const inst = await db.instance.create({ data: { name: "job-closed", image: "wharf-test/web:v1", subdomain: "job-closed", port: 8080 } });
  const dep = await db.deployment.create({ data: { instanceId: inst.id, kind: "deploy", image: "wharf-test/web:v1" } });
  runJob(inst.id, dep.id, await heldLease(inst.id), async () => {
    await db.deployment.update({ where: { id: dep.id }, data: { status: "cancelled", error: "cancelled: by test", finishedAt: new Date() } });
    throw new Error("late failure after the close");
  });
  await waitForJob(inst.id);
  const row = await db.deployment.findUniqueOrThrow({ where: { id: dep.id } });
  expect(row.status).toBe("cancelled");
  expect(row.error).toBe("cancelled: by test");
});

it("a job that lost its lease leaves its deployment to the process that took over (nothing written)", async () => {
  const inst = await db.instance.create({ data: { name: "job-fenced", image: "wharf-test/web:v1", subdomain: "job-fenced", port: 8080 } });
  const dep = await db.deployment.create({ data: { instanceId: inst.id, kind: "redeploy", image: "wharf-test/web:v1" } });
  await db.deploymentStep.create({ data: { deploymentId: dep.id, position: 0, name: "health" } });
  const lease = await heldLease(inst.id);
  runJob(inst.id, dep.id, lease, async () => {
    // Another process took the lease over while this one was paused (its acquisition raised the epoch).
    await db.lease.update({ where: { name: lease.name }, data: { holder: "recover:other-process", epoch: { increment: 1 } } });
    throw new Error("resumed after the takeover");
  });
  await waitForJob(inst.id);
  const row = await db.deployment.findUniqueOrThrow({ where: { id: dep.id }, include: { steps: true } });
  expect(row.status).toBe("running");
  expect(row.steps.map((s) => s.status)).toEqual(["running"]);
  expect((await db.lease.findUniqueOrThrow({ where: { name: lease.name } })).holder).toBe("recover:other-process");
});
