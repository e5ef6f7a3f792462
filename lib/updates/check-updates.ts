import { db } from "../db";
import { errorMessage, isAppError } from "../errors";
import { logger } from "../logger";
import type { Actor } from "../audit/record-event";
import { findInstanceOrThrow } from "../db/find-instance";
import { redeployInstance } from "../deployer/redeploy-instance";
import type { Instance } from "../generated/prisma/client";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";
import { registryCredentialsFor } from "../registry/credentials-for";
import { parseImageRef } from "../image-ref";
import { emitEvent } from "../outbox/emit-event";
import { headManifestDigest } from "../registry/registry-client";

// Update checks: the registry client answers which digest a tag
// names now; this decides what that means for an instance and, with
// autoUpdate, starts the deployer's redeploy.

/** Who an automatic update acts as in the history and the audit log. */
export const UPDATE_ACTOR: Actor = { kind: "system", label: "auto-update", role: "admin" };

// A registry that answered 429 is left alone until its Retry-After has passed
// (per process; a second process learns it from its own first 429).
const holder = globalThis as unknown as { __wharfRegistryBackoff?: Map<string, number> };
const backoff = (holder.__wharfRegistryBackoff ??= new Map());
const DEFAULT_BACKOFF_MS = 10 * 60_000;

export type UpdateCheck =
  | { instanceId: string; outcome: "skipped"; reason: string }
  | { instanceId: string; outcome: "current" | "available" | "deployed"; latestDigest: string }
  | { instanceId: string; outcome: "warning"; warning: string };

/** Whether an instance's update can be checked at all: a tag (not a digest) of an image that came from a registry. */
function checkable(i: Instance): string | null {
  if (i.status !== "running") return `instance is ${i.status}`;
  if (parseImageRef(i.image).digest) return "pinned by digest";
  if (!i.digest) return "local image without a registry digest";
  return null;
}

/**
 * One instance: a manifest HEAD for its tag with its registry's credentials,
 * compared with the digest running. A failing check is a warning on the
 * instance, never a deploy. With `autoUpdate` a new digest is deployed
 * through the normal blue-green redeploy (trigger `update`), except the
 * digest a rollback just left (else the next check would undo the rollback).
 */
export async function checkInstanceUpdate(opts: { instance: Instance; settings: TSettings; now?: number }): Promise<UpdateCheck> {
  const { instance: i, settings } = opts;
  const now = opts.now ?? Date.now();
  const skip = checkable(i);
  if (skip) return { instanceId: i.id, outcome: "skipped", reason: skip };
  const head = await headLatestDigest(i, settings, now);
  if ("warning" in head) return { instanceId: i.id, outcome: "warning", warning: head.warning };
  const latest = head.digest;
  const available = latest !== i.digest;
  await recordLatestDigest(i, latest, available, now);
  if (!available) return { instanceId: i.id, outcome: "current", latestDigest: latest };
  if (!i.autoUpdate || latest === i.previousDigest) return { instanceId: i.id, outcome: "available", latestDigest: latest };
  return autoUpdate(i, latest);
}

/** The digest the instance's tag names now; or, when its registry is backing off or the HEAD failed, the warning written on the instance. */
async function headLatestDigest(i: Instance, settings: TSettings, now: number): Promise<{ digest: string } | { warning: string }> {
  const ref = parseImageRef(i.image);
  const blockedUntil = backoff.get(ref.registry) ?? 0;
  if (blockedUntil > now) {
    const warning = `update check deferred: registry ${ref.registry} is rate limiting until ${new Date(blockedUntil).toISOString()}`;
    await db.instance.updateMany({ where: { id: i.id }, data: { updateCheckError: warning } });
    return { warning };
  }
  try {
    return { digest: await headManifestDigest({ registry: ref.registry, repository: ref.repository, reference: ref.tag ?? "latest", creds: registryCredentialsFor(settings, i.image) }) };
  } catch (err) {
    if (isAppError(err) && err.code === "RATE_LIMITED") backoff.set(ref.registry, now + ((err.details?.retryAfterMs as number | null) ?? DEFAULT_BACKOFF_MS));
    const warning = `update check failed: ${errorMessage(err)}`;
    await db.instance.updateMany({ where: { id: i.id }, data: { updateCheckedAt: new Date(now), updateCheckError: warning } });
    logger.warn({ op: "instance.update-check", consumer: `instance:${i.id}`, err: errorMessage(err) }, "update check failed");
    return { warning };
  }
}

/** The check's answer on the instance, only when the digest did not change meanwhile (a deploy running beside this check). */
async function recordLatestDigest(i: Instance, latest: string, available: boolean, now: number): Promise<void> {
  await db.$transaction(async (tx) => {
    const res = await tx.instance.updateMany({
      where: { id: i.id, digest: i.digest },
      data: { latestDigest: latest, updateAvailable: available, updateCheckedAt: new Date(now), updateCheckError: null },
    });
    // Announced once per new digest (issue 29); an auto-update announces update.applied when it lands.
    if (res.count === 1 && available && !i.autoUpdate) {
      await emitEvent(tx, { event: "update.available", consumer: { type: "instance", id: i.id, name: i.name }, path: `/instances/${i.id}`, message: `${i.name}: a newer ${i.image} is available (${latest.slice(0, 19)})`, foldKey: `update.available:${i.id}:${latest}`, once: true });
    }
  });
}

/** The new digest deployed through the deployer's blue-green redeploy (trigger `update`). */
async function autoUpdate(i: Instance, latest: string): Promise<UpdateCheck> {
  try {
    await redeployInstance({ actor: UPDATE_ACTOR, id: i.id, body: {}, kind: "update" });
    return { instanceId: i.id, outcome: "deployed", latestDigest: latest };
  } catch (err) {
    // E.g. another operation holds the instance: the next check tries again.
    const warning = `auto-update to ${latest} not started: ${errorMessage(err)}`;
    await db.instance.updateMany({ where: { id: i.id }, data: { updateCheckError: warning } });
    return { instanceId: i.id, outcome: "warning", warning };
  }
}

/** Every running instance whose last check is older than `updates.intervalMinutes` (all of them with `force`). */
export async function checkUpdates(opts: { force?: boolean; now?: number } = {}): Promise<UpdateCheck[]> {
  const settings = await getSettings();
  if (!settings.updates.enabled && !opts.force) return [];
  const now = opts.now ?? Date.now();
  const due = new Date(now - settings.updates.intervalMinutes * 60_000);
  const rows = await db.instance.findMany({
    // Only what checkInstanceUpdate can check, so that uncheckable rows never crowd out the rest.
    where: { status: "running", digest: { not: null }, NOT: { image: { contains: "@" } }, ...(opts.force ? {} : { OR: [{ updateCheckedAt: null }, { updateCheckedAt: { lt: due } }] }) },
    orderBy: { updateCheckedAt: { sort: "asc", nulls: "first" } },
    take: 100,
  });
  const results: UpdateCheck[] = [];
  for (const instance of rows) results.push(await checkInstanceUpdate({ instance, settings, now }));
  return results;
}

/** "Check now" for one instance (ignores the interval, not a rate limit). */
export async function checkInstanceUpdateNow(opts: { id: string }): Promise<UpdateCheck> {
  const instance = await findInstanceOrThrow(opts.id);
  return checkInstanceUpdate({ instance, settings: await getSettings() });
}
