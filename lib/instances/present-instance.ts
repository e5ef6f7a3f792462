import { instanceFqdn } from "../naming";
import type { Instance } from "../generated/prisma/client";
import { presentTls, tlsOptions } from "../tls/consumer-tls";
import { specOf } from "../deployer/runtime-spec";

/** The API shape of an instance (SPEC §10). */
/** `server`: the instance's server when it is a remote one (its name and recorded status); a server that does not answer makes the instance `unknown` (SPEC §16). */
export function presentInstance(i: Instance, baseDomain: string, dns: { status: string; lastError?: string | null } | null, dnsMode: string, server?: { name: string; status: string } | null) {
  const unreachable = server?.status === "down";
  return {
    id: i.id,
    name: i.name,
    image: i.image,
    subdomain: i.subdomain,
    fqdn: instanceFqdn(i.subdomain, baseDomain),
    port: i.port,
    healthPath: i.healthPath,
    restartPolicy: i.restartPolicy,
    ...specOf(i),
    server: server?.name ?? "local",
    status: unreachable ? "unknown" : i.status,
    ...(unreachable ? { error: `server ${server!.name} does not answer; last known status: ${i.status}` } : i.error ? { error: i.error } : {}),
    route: { status: i.routeStatus, ...(i.routeError ? { error: i.routeError } : {}) },
    dns: dns ? { status: dns.status, ...(dns.lastError ? { error: dns.lastError } : {}) } : { status: dnsMode === "wildcard" ? "wildcard" : "none" },
    digest: i.digest,
    updateAvailable: i.updateAvailable,
    autoUpdate: i.autoUpdate,
    update: { latestDigest: i.latestDigest, checkedAt: i.updateCheckedAt, ...(i.updateCheckError ? { warning: i.updateCheckError } : {}) },
    tls: presentTls(i),
    tlsOptions: tlsOptions(i),
    /** The address to open: https:// once Wharf has seen the certificate. */
    url: `${i.certStatus === "issued" ? "https" : "http"}://${instanceFqdn(i.subdomain, baseDomain)}`,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
export type TInstanceView = ReturnType<typeof presentInstance>;
