import { currentLease } from "../consumers/consumer-lease";
import { db, type Prisma } from "../db";
import { fenced, holdFence } from "../db/lease";
import { errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { emitEvent } from "../outbox/emit-event";
import { observeDeployment } from "../metrics/registry";
import { deploymentEvent } from "../outbox/deployment-event";

export type DeploymentKind = "deploy" | "redeploy" | "rollback" | "start" | "stop" | "remove" | "update";
/** A pull step's counters, stored on the step for the progress bar and the history. */
export type StepCounts = { bytesDone?: number; bytesTotal?: number; layersDone?: number; layersTotal?: number };
export type StepName = "pull" | "network" | "create" | "start" | "health" | "route" | "dns" | "switch" | "stop" | "cleanup" | "compensate" | "remove" | "certificate" | "volumes";

/** A history write, fenced by the consumer lease of the operation it runs in (none: written as it is). */
const write = <T>(fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> => fenced(currentLease(), fn);

/**
 * Deploy history: one Deployment row per operation and one DeploymentStep per
 * step, with timings, messages and the outcome, written as the steps happen
 * so the UI can show them live. Written under the instance's consumer lease,
 * every write is fenced (issue 26): once another process took the lease over,
 * the next write throws "lease lost" and nothing more is recorded by this one.
 */
export class DeploymentRecorder {
  private position = 0;
  readonly op: ReturnType<typeof operationLogger>;

  private constructor(readonly deploymentId: string, readonly instanceId: string, readonly kind: DeploymentKind) {
    this.op = operationLogger({ op: `instance.${kind}`, consumer: `instance:${instanceId}`, deployment: deploymentId });
  }

  static async open(opts: { instanceId: string; kind: DeploymentKind; image: string; actor?: string; id?: string }): Promise<DeploymentRecorder> {
    const row = await db.deployment.create({
      data: { id: opts.id, instanceId: opts.instanceId, kind: opts.kind, image: opts.image, actor: opts.actor ?? null },
    });
    return new DeploymentRecorder(row.id, opts.instanceId, opts.kind);
  }

  static async resume(deploymentId: string): Promise<DeploymentRecorder> {
    const row = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { steps: { select: { position: true } } } });
    const rec = new DeploymentRecorder(row.id, row.instanceId, row.kind as DeploymentKind);
    rec.position = Math.max(0, ...row.steps.map((s) => s.position));
    return rec;
  }

  /**
   * Runs one step; `progress` updates its message and counters (throttled; the
   * last counters are always written when the step ends). A throw marks the
   * step failed and propagates.
   */
  async step<T>(name: StepName, fn: (progress: (message: string, counts?: StepCounts) => void) => Promise<T>, done?: (result: T) => string | undefined): Promise<T> {
    const position = ++this.position;
    const step = await write((tx) => tx.deploymentStep.create({ data: { deploymentId: this.deploymentId, position, name } }));
    let lastWrite = 0;
    let pending: Promise<unknown> = Promise.resolve();
    let counts: StepCounts = {};
    const progress = (message: string, c?: StepCounts) => {
      if (c) counts = c;
      const now = Date.now();
      if (now - lastWrite < 500) return;
      lastWrite = now;
      // A progress line that cannot be written is only cosmetic (the step's outcome is written below), but it is logged.
      pending = pending.then(() => write((tx) => tx.deploymentStep.update({ where: { id: step.id }, data: { message: message.slice(0, 500), ...c } })).catch((err: unknown) => this.op.fail(`${name}.progress`, err)));
    };
    try {
      const result = await fn(progress);
      await pending;
      await write((tx) => tx.deploymentStep.update({ where: { id: step.id }, data: { status: "succeeded", finishedAt: new Date(), message: done?.(result) ?? undefined, ...counts } }));
      this.op.step(name);
      return result;
    } catch (err) {
      await pending;
      await write((tx) => tx.deploymentStep.update({ where: { id: step.id }, data: { status: "failed", finishedAt: new Date(), message: errorMessage(err).slice(0, 4000), ...counts } }));
      this.op.fail(name, err);
      throw err;
    }
  }

  /**
   * A step whose failure must not end the operation (cleanup, compensation):
   * the failure is recorded on the step, visible in the deploy history, and
   * returned, never swallowed.
   */
  async attempt(name: StepName, fn: () => Promise<unknown>, done?: string): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      await this.step(name, fn, () => done);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  async note(name: StepName, status: "skipped" | "succeeded" | "failed", message: string): Promise<void> {
    // One timestamp for both ends: an instantaneous step lasts 0 ms, not the skew between two clocks.
    const now = new Date();
    const position = ++this.position;
    await write((tx) => tx.deploymentStep.create({ data: { deploymentId: this.deploymentId, position, name, status, message: message.slice(0, 4000), startedAt: now, finishedAt: now } }));
  }

  /** The exact image this deployment starts: repo digest (null for a local image without one) and image id. */
  async setImage(digest: string | null, imageId: string | null): Promise<void> {
    await write((tx) => tx.deployment.update({ where: { id: this.deploymentId }, data: { digest, imageId } }));
  }

  /** The runtime spec the deployment's container is created with: a later rollback to this deployment recreates it. */
  async setSpec(spec: unknown): Promise<void> {
    await write((tx) => tx.deployment.update({ where: { id: this.deploymentId }, data: { spec: JSON.stringify(spec) } }));
  }

  async setContainer(containerId: string, containerName: string): Promise<void> {
    await write((tx) => tx.deployment.update({ where: { id: this.deploymentId }, data: { containerId, containerName } }));
  }

  async finish(status: "succeeded" | "failed" | "cancelled", error?: string): Promise<void> {
    // The outcome and its notification (deploy failed, rolled back, update applied) commit together (issue 29).
    const lease = currentLease();
    const dep = await db.$transaction(async (tx) => {
      if (lease) await holdFence(tx, lease);
      const dep = await tx.deployment.update({ where: { id: this.deploymentId }, data: { status, error: error?.slice(0, 4000) ?? null, finishedAt: new Date() }, include: { instance: { select: { name: true } } } });
      const failedStep = status === "failed" ? await tx.deploymentStep.findFirst({ where: { deploymentId: this.deploymentId, status: "failed" }, orderBy: { position: "desc" } }) : null;
      const event = deploymentEvent({ ...dep, kind: this.kind, instanceName: dep.instance.name, failedStep: failedStep?.name ?? null });
      if (event) await emitEvent(tx, event);
      return dep;
    });
    observeDeployment(this.kind, status, (dep.finishedAt!.getTime() - dep.startedAt.getTime()) / 1000);
    this.op.log.info({ step: "finish", status }, `deployment ${status}`);
  }
}
