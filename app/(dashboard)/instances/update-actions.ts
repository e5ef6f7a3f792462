"use server";
import { runAction, type ActionResult } from "@/lib/action";
import { createDeployToken } from "@/lib/auth/deploy-tokens";
import { revokeApiToken } from "@/lib/auth/tokens";
import { setAutoUpdate } from "@/lib/deployer/set-auto-update";
import { checkInstanceUpdateNow, type UpdateCheck } from "@/lib/updates/check-updates";

// Update detection and deploy tokens of one instance (its page's client islands).

export async function setAutoUpdateAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const on = form.get("autoUpdate") === "on";
  return runAction({ role: "admin", action: "instance.auto-update", message: on ? "Auto-update on." : "Auto-update off." }, async (actor) => {
    await setAutoUpdate({ actor, id: String(form.get("id")), autoUpdate: on });
  });
}

export async function checkUpdateAction(_prev: ActionResult<UpdateCheck> | null, form: FormData): Promise<ActionResult<UpdateCheck>> {
  return runAction({ role: "admin", action: "instance.check-update" }, () => checkInstanceUpdateNow({ id: String(form.get("id")) }));
}

export async function createDeployTokenAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult<{ name: string; token: string }>> {
  return runAction({ role: "admin", action: "token.create", message: "Deploy token created." }, async (actor) => {
    const t = await createDeployToken({ actor, instanceId: String(form.get("id")), body: { name: String(form.get("name") ?? "") } });
    return { name: t.name, token: t.token };
  });
}

export async function revokeDeployTokenAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  return runAction({ role: "admin", action: "token.revoke", message: "Token revoked." }, async (actor) => {
    await revokeApiToken({ actor, id: String(form.get("tokenId")) });
  });
}
