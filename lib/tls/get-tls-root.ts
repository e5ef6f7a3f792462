import { AppError } from "../errors";
import { CaddyAdmin } from "../proxy/caddy-admin";
import { managedCaddyConfig } from "../proxy/managed-caddy";
import { getSettings } from "../settings/get-settings";

/**
 * The root certificate clients must trust in `internal` mode: Caddy's local
 * CA, from its admin API (/pki/ca/local). Public by nature (it is what a
 * browser is told to trust), so the route serving it needs no session.
 */
export async function getTlsRoot(): Promise<{ pem: string; name: string }> {
  const settings = await getSettings();
  if (settings.tls.mode !== "internal") throw new AppError("NOT_FOUND", `TLS mode is ${settings.tls.mode}: there is no Wharf-managed root to trust (only internal mode has one)`);
  const configured = settings.proxy.provider;
  const proxy = configured?.type === "managed" ? managedCaddyConfig() : configured;
  if (proxy?.type !== "caddy") throw new AppError("NOT_FOUND", "internal TLS needs Caddy as the proxy provider; none is configured");
  const { value } = await new CaddyAdmin(proxy.adminUrl).get("/pki/ca/local");
  const ca = value as { name?: string; root_certificate?: string } | null;
  if (!ca?.root_certificate) throw new AppError("PROVIDER_ERROR", `Caddy at ${proxy.adminUrl} did not return its local CA's root (/pki/ca/local)`);
  return { pem: ca.root_certificate, name: ca.name ?? "Caddy Local Authority" };
}
