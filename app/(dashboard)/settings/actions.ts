"use server";
import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { nestedFromForm } from "@/lib/form-data";
import { specFromForm } from "@/lib/deployer/spec-form";
import { updateSettings, applySettingsUpdate } from "@/lib/configuration/update-settings";
import { getSettings } from "@/lib/settings/get-settings";
import { updateSettingsAndReroute } from "@/lib/configuration/settings-change";
import { testDraftConnection } from "@/lib/configuration/test-draft";
import { listProviderZones } from "@/lib/configuration/list-zones";
import { cleanupRequiredBy } from "@/lib/dns/plan-provider-switch";
import { createApiToken, revokeApiToken } from "@/lib/auth/tokens";
import { createUser, deleteUser, getUser, setPassword, setUserRole } from "@/lib/auth/users";
import { reissueSession } from "@/lib/auth/reissue-session";
import { testRegistryEntry } from "@/lib/configuration/test-registry-login";

const NUMBERS = ["dns.ttl", "sync.intervalMinutes", "retention.days", "retention.deploymentsPerInstance", "retention.successfulDeploymentsPerInstance", "domains.graceHours"];

/** General section: base domain, target, Docker network, upstream addressing, sync interval, history, custom domains' grace period. */
export async function saveGeneralAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  // The session and role are checked before the form is parsed (issue 21).
  const res = await runAction({ role: "admin", action: "settings.update", message: "General settings saved." }, async (actor) => {
    const body = nestedFromForm(form, { numbers: NUMBERS }) as Record<string, Record<string, unknown>>;
    const mode = form.get("proxy.upstream.mode");
    body.proxy = { upstream: mode === "network" ? { mode, network: form.get("proxy.upstream.network") } : { mode: "host", hostAddress: form.get("proxy.upstream.hostAddress") } };
    // Default limits for new instances: a blank field means "no limit" (null), which nestedFromForm would drop.
    const limits = specFromForm(form).limits;
    if (limits) body.limits = limits as Record<string, unknown>;
    else delete body.limits;
    await updateSettingsAndReroute({ actor, body });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form);
}

function dnsBody(form: FormData) {
  const body = nestedFromForm(form, { numbers: NUMBERS, booleans: ["dns.proxied"] }) as { dns: Record<string, unknown> };
  body.dns.mode = form.get("dns.wildcard") === "on" ? "wildcard" : "managed";
  delete (body.dns as Record<string, unknown>).wildcard;
  if (!form.get("dns.provider.type")) body.dns.provider = null;
  return body;
}

function proxyBody(form: FormData) {
  const body = nestedFromForm(form, { numbers: ["proxy.provider.httpPort", "proxy.provider.httpsPort"] }) as { proxy: Record<string, unknown> };
  body.proxy ??= {};
  if (!form.get("proxy.provider.type")) body.proxy.provider = null;
  return body;
}

/** TLS section (SPEC §3): mode, and the ACME directory, e-mail and extra root; empty optional fields clear them. */
export async function saveTlsAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "settings.update", message: "TLS settings saved; the next sync adds or removes certificates." }, async (actor) => {
    const mode = form.get("tls.mode");
    const text = (k: string) => {
      const v = form.get(k);
      return typeof v === "string" && v.trim() ? v.trim() : null;
    };
    const body = {
      tls: mode === "acme"
        ? { mode, acme: { directoryUrl: text("tls.acme.directoryUrl") ?? undefined, email: text("tls.acme.email"), trustedRootPem: text("tls.acme.trustedRootPem") } }
        : { mode },
    };
    await updateSettings({ actor, body });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form);
}

/** A DNS save that needs confirmation first: the owned records the change would remove at the old provider. */
export type TDnsSaveOutcome = { saved: true } | { saved: false; cleanup: NonNullable<ReturnType<typeof cleanupRequiredBy>> };

/**
 * Saves the DNS section. A change away from where Wharf keeps records comes
 * back unsaved with the records to remove; the form shows them and resubmits
 * with `_confirmDnsCleanup=true` once the operator confirms.
 */
export async function saveDnsAction(_prev: ActionResult<TDnsSaveOutcome> | null, form: FormData): Promise<ActionResult<TDnsSaveOutcome>> {
  const res = await runAction({ role: "admin", action: "settings.update", message: "DNS settings saved." }, async (actor): Promise<TDnsSaveOutcome> => {
    // Underscored: nestedFromForm skips it, so it never reaches the settings schema.
    const confirmDnsCleanup = form.get("_confirmDnsCleanup") === "true";
    try {
      await updateSettings({ actor, body: dnsBody(form), confirmDnsCleanup });
      return { saved: true };
    } catch (err) {
      const cleanup = cleanupRequiredBy(err);
      if (cleanup) return { saved: false, cleanup };
      throw err;
    }
  });
  if (res.ok && res.data.saved) revalidatePath("/settings");
  return res;
}

export async function saveProxyAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  // Switching away from Wharf's Caddy removes its container only when this box was ticked.
  const removeManagedProxy = form.get("_removeManagedProxy") === "on";
  const res = await runAction({ role: "admin", action: "settings.update", message: "Proxy settings saved; existing routes were pushed to it." }, async (actor) => {
    await updateSettingsAndReroute({ actor, body: proxyBody(form), removeManagedProxy });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, ["password"]);
}

/** Tests the values in the form (saved secrets fill blank secret fields) without saving them. */
export async function testConnectionAction(target: "dns" | "proxy", form: FormData): Promise<ActionResult<{ ok: boolean; message: string }>> {
  return runAction({ role: "admin", action: `settings.test.${target}` }, (actor) =>
    testDraftConnection({ actor, target, body: target === "dns" ? { dns: { ...dnsBody(form).dns, mode: "managed" } } : proxyBody(form) }),
  );
}

export async function listZonesAction(form: FormData): Promise<ActionResult<{ id: string; name: string }[]>> {
  return runAction({ role: "admin", action: "settings.zones" }, async () => {
    const draft = applySettingsUpdate(await getSettings(), { dns: { ...dnsBody(form).dns, mode: "managed" } });
    return listProviderZones(draft);
  });
}

export async function createTokenAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult<{ token: string; name: string } | null>> {
  const res = await runAction({ role: "admin", action: "token.create", message: "Token created. Copy it now: it is not shown again." }, async (actor) => {
    const days = String(form.get("expiresInDays") ?? "").trim();
    const t = await createApiToken({ actor, body: { name: form.get("name") ?? "", role: form.get("role") ?? "viewer", ...(days ? { expiresInDays: Number(days) } : {}) } });
    return { token: t.token, name: t.name };
  });
  if (res.ok) revalidatePath("/settings");
  return res;
}

export async function revokeTokenAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "token.revoke", message: "Token revoked." }, (actor) => revokeApiToken({ actor, id: String(form.get("id")) }));
  if (res.ok) revalidatePath("/settings");
  return res;
}

export async function createUserAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "user.create", message: "User created." }, (actor) =>
    createUser({ actor, body: { email: form.get("email") ?? "", password: form.get("password") ?? "", role: form.get("role") ?? "viewer" } }),
  );
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, ["password"]);
}

const USER_OPS = {
  delete: { action: "user.delete", message: "User deleted." },
  role: { action: "user.role", message: "Role changed: the user's other sessions are signed out." },
  password: { action: "user.password.reset", message: "Password reset: the user's sessions are signed out." },
} as const;

export async function userAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  // Only the audit name is picked from the form before the role check, from a fixed list.
  const rawOp = String(form.get("op") ?? "role");
  const op: keyof typeof USER_OPS = Object.hasOwn(USER_OPS, rawOp) ? (rawOp as keyof typeof USER_OPS) : "role";
  const { action, message } = USER_OPS[op];
  const res = await runAction({ role: "admin", action, message }, async (actor) => {
    const id = String(form.get("id"));
    if (op === "delete") return deleteUser({ actor, id });
    if (op === "password") return void (await setPassword({ actor, id, password: form.get("password") ?? "" }));
    await setUserRole({ actor, id, role: form.get("role") });
    // Changing your own role ends your other sessions, not this one.
    if (actor.id === id) {
      const user = await getUser(id);
      if (user) await reissueSession(await cookies(), { userId: id, sessionVersion: user.sessionVersion });
    }
  });
  if (res.ok) revalidatePath("/settings");
  return res;
}

/** Any user: change your own password (the current one required); your other sessions end, this one stays. */
export async function changeOwnPasswordAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  return runAction({ role: "viewer", action: "user.password", message: "Password changed: your other sessions are signed out." }, async (actor) => {
    const id = actor.id!;
    const sessionVersion = await setPassword({ actor, id, password: form.get("password") ?? "", currentPassword: form.get("currentPassword") ?? "" });
    await reissueSession(await cookies(), { userId: id, sessionVersion });
  });
}

/** Rows `registries.<i>.{host,username,password}`; a row without host and user is dropped, a blank password keeps the stored one. */
function registriesBody(form: FormData) {
  const rows = new Map<string, Record<string, string>>();
  for (const [k, v] of form.entries()) {
    const m = /^registries\.(\d+)\.(host|username|password|authHost)$/.exec(k);
    if (m && typeof v === "string") rows.set(m[1], { ...rows.get(m[1]), [m[2]]: v.trim() });
  }
  const registries = [...rows.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, r]) => r)
    .filter((r) => r.host || r.username)
    .map((r) => ({ host: r.host ?? "", username: r.username ?? "", ...(r.password ? { password: r.password } : {}), ...(r.authHost ? { authHost: r.authHost } : {}) }));
  const minutes = Number(form.get("updates.intervalMinutes"));
  return { registries, updates: { enabled: form.get("updates.enabled") === "on", intervalMinutes: Number.isFinite(minutes) ? minutes : 60 } };
}

export async function saveRegistriesAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "settings.update", message: "Registry settings saved." }, async (actor) => {
    await updateSettings({ actor, body: registriesBody(form) });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, ["password"]);
}

/** "Test login" for row `index` of the registries form, with what is typed there. */
export async function testRegistryAction(index: number, form: FormData): Promise<ActionResult<{ ok: boolean; message: string }>> {
  return runAction({ role: "admin", action: "settings.test.registry" }, async (actor) => {
    const str = (f: string) => String(form.get(`registries.${index}.${f}`) ?? "").trim();
    return testRegistryEntry({ actor, entry: { host: str("host"), username: str("username"), ...(str("password") ? { password: str("password") } : {}), ...(str("authHost") ? { authHost: str("authHost") } : {}) } });
  });
}
