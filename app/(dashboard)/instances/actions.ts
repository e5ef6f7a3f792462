"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { createInstance } from "@/lib/deployer/create-instance";
import { redeployInstance } from "@/lib/deployer/redeploy-instance";
import { rollbackInstance } from "@/lib/deployer/rollback-instance";
import { startInstance, stopInstance } from "@/lib/deployer/stop-start-instance";
import { removeInstance } from "@/lib/deployer/remove-instance";
import { cancelDeployment } from "@/lib/deployer/cancel-deployment";
import { specFromForm } from "@/lib/deployer/spec-form";
import { deleteVolume } from "@/lib/deployer/instance-volumes";
import { AppError } from "@/lib/errors";

/** "KEY=value" lines → env entries; blank lines and # comments are skipped. */
function envLines(text: FormDataEntryValue | null, secret: boolean) {
  return String(text ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const i = l.indexOf("=");
      return { key: i < 0 ? l : l.slice(0, i).trim(), value: i < 0 ? "" : l.slice(i + 1), secret };
    });
}

/** Checkboxes send nothing when unchecked: the hidden marker says the options were on the form. */
function tlsFromForm(form: FormData) {
  if (form.get("tlsOptions") !== "1") return {};
  return { tls: { https: form.get("tls.https") === "on", redirect: form.get("tls.redirect") === "on", hsts: form.get("tls.hsts") === "on" } };
}

export async function createInstanceAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult<{ id: string }>> {
  // The session and role are checked before the form is parsed (issue 21).
  const res = await runAction({ role: "admin", action: "instance.create", message: "Deploy started." }, async (actor) => {
    const str = (k: string) => {
      const v = String(form.get(k) ?? "").trim();
      return v === "" ? undefined : v;
    };
    const body = {
      name: str("name") ?? "",
      image: str("image") ?? "",
      port: str("port") ?? "",
      subdomain: str("subdomain"),
      healthPath: str("healthPath"),
      restartPolicy: str("restartPolicy"),
      server: str("server"),
      // On a Swarm cluster (issue 28): the number of tasks and one placement constraint per line.
      ...(str("replicas") !== undefined ? { replicas: Number(str("replicas")) } : {}),
      ...(str("placement") !== undefined ? { placement: str("placement")!.split(/\r?\n/).map((l) => l.trim()).filter(Boolean) } : {}),
      // An unchecked box sends nothing: the hidden marker says the cluster's box was on the form.
      ...(form.get("pinVolumesField") === "1" ? { pinVolumes: form.get("pinVolumes") === "on" } : {}),
      env: [...envLines(form.get("env"), false), ...envLines(form.get("secretEnv"), true)],
      autoUpdate: form.get("autoUpdate") === "on",
      ...tlsFromForm(form),
    };
    return { id: (await createInstance({ actor, body: { ...body, ...specFromForm(form) } })).id };
  });
  if (res.ok) revalidatePath("/instances");
  return withValues(res, form, ["secretEnv"]);
}

type Op = "redeploy" | "scale" | "rollback" | "stop" | "start" | "remove" | "cancel";
const MESSAGES: Record<Op, string> = {
  redeploy: "Redeploy started.",
  scale: "Scaling started.",
  rollback: "Rollback started.",
  stop: "Stopped.",
  start: "Start requested.",
  remove: "Instance removed.",
  cancel: "Cancel requested.",
};

export async function instanceAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  // Only the audit name is picked from the form before the role check, from a fixed list.
  const rawOp = String(form.get("op"));
  const op = (Object.hasOwn(MESSAGES, rawOp) ? rawOp : "unknown") as Op;
  const res = await runAction({ role: "admin", action: `instance.${op}`, message: MESSAGES[op] }, async (actor) => {
    const id = String(form.get("id"));
    const image = String(form.get("image") ?? "").trim();
    switch (op) {
      case "redeploy":
        return redeployInstance({ actor, id, body: image ? { image } : {} });
      case "scale": {
        // A Swarm service's replica count alone: Swarm scales it, no image rolls out (issue 28).
        const replicas = String(form.get("replicas") ?? "").trim();
        if (!/^\d+$/.test(replicas)) throw new AppError("VALIDATION", "replicas: must be a whole number of tasks", { field: "replicas" });
        return redeployInstance({ actor, id, body: { replicas: Number(replicas) } });
      }
      case "rollback": {
        const deploymentId = String(form.get("deploymentId") ?? "").trim();
        return rollbackInstance({ actor, id, body: deploymentId ? { deploymentId } : {} });
      }
      case "stop":
        return stopInstance({ actor, id });
      case "start":
        return startInstance({ actor, id });
      case "remove":
        return removeInstance({ actor, id, deleteVolumes: form.get("deleteVolumes") === "on" });
      case "cancel":
        return cancelDeployment({ actor, id });
      default:
        throw new AppError("VALIDATION", "op: must be one of redeploy, scale, rollback, stop, start, remove, cancel", { field: "op" });
    }
  });
  revalidatePath("/instances");
  // The detail page of a removed instance would 404: leave it.
  if (res.ok && op === "remove") redirect("/instances");
  return res;
}

/** The Edit form: a redeploy with the new spec, through the normal (blue-green or stop-first) path. */
export async function editInstanceAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "instance.redeploy", message: "Redeploy with the new settings started." }, async (actor) => {
    const image = String(form.get("image") ?? "").trim();
    const pinNode = String(form.get("pinNode") ?? "").trim();
    // A cluster's form (issue 28): the pin box (unchecked sends nothing, hence the marker) and an explicit move of the pin.
    const pin = { ...(form.get("pinVolumesField") === "1" ? { pinVolumes: form.get("pinVolumes") === "on" } : {}), ...(pinNode ? { pinNode } : {}) };
    return redeployInstance({ actor, id: String(form.get("id")), body: { ...(image ? { image } : {}), ...specFromForm(form), ...tlsFromForm(form), ...pin } });
  });
  revalidatePath("/instances", "layout");
  return withValues(res, form);
}

export async function deleteVolumeAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "volume.delete" }, async (actor) => {
    const name = String(form.get("name") ?? "");
    const server = String(form.get("server") ?? "") || undefined;
    return deleteVolume({ actor, name, server });
  });
  if (res.ok) res.message = res.data.server === "local" ? `Volume ${res.data.name} deleted.` : `Volume ${res.data.name} on ${res.data.server} deleted.`;
  revalidatePath("/instances");
  return res;
}
