import { z } from "zod";

// Servers (SPEC §16, issue 27): the request bodies of /api/servers.

/** An IPv4/IPv6 literal or a DNS name: what an engine or an upstream is reached at. */
const hostAddress = z
  .string()
  .trim()
  .min(1, "is required")
  .max(253)
  .regex(/^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*)$/, "must be an IP address or a host name")
  .transform((a) => a.replace(/^\[(.*)\]$/, "$1"));

const pem = (what: string) =>
  z
    .string()
    .max(40_000)
    .regex(new RegExp(`-----BEGIN ${what}-----`), `must be a PEM ${what.toLowerCase()}`);

export const ZTlsCredentialsSchema = z.strictObject({
  ca: pem("CERTIFICATE"),
  cert: pem("CERTIFICATE"),
  key: z.string().max(40_000).regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "must be a PEM private key"),
});

export const ZSshCredentialsSchema = z.strictObject({
  user: z.string().trim().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, "must be a user name"),
  privateKey: z.string().max(40_000).regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "must be a PEM or OpenSSH private key"),
  // As `ssh-keygen -lf` prints it; optional: pinned on the first successful test when not given.
  hostKeySha256: z
    .string()
    .trim()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be a SHA-256 fingerprint ("SHA256:…", as ssh-keygen -lf prints it)')
    .optional(),
});

/**
 * Where bind mounts may come from on that server (its own filesystem): an
 * absolute, normal path, not `/` (that would allow every path). Checked on the
 * server itself at every container create (lib/servers/remote-bind-sources.ts).
 */
const bindRoot = z
  .string()
  .trim()
  .max(1024)
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), "must not contain control characters")
  .refine((p) => p === "/" || !p.split("/").slice(1).some((seg) => seg === "" || seg === "." || seg === ".."), "must be a normal path (no //, . or .. segments, no trailing /)")
  .refine((p) => p !== "/", "must not be / (that would allow every path on the server)")
  // The helper container that checks a source sees these as the engine gives every container (its own /etc/hosts, /proc…), not as the server has them.
  .refine((p) => !["/proc", "/sys", "/dev", "/etc"].some((d) => p === d || p.startsWith(`${d}/`)), "must not be in /proc, /sys, /dev or /etc");

const name = z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and - (at most 63), starting with a letter or digit");
const labels = z.record(z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, "label keys: letters, digits, . _ / -"), z.string().max(200)).refine((l) => Object.keys(l).length <= 50, "at most 50 labels");

export const ZServerCreateSchema = z
  .strictObject({
    name,
    /** "swarm": the engine is a Swarm manager; instances on it are services (issue 28). */
    kind: z.enum(["engine", "swarm"], { error: 'must be "engine" or "swarm"' }).default("engine"),
    transport: z.enum(["tls", "ssh"], { error: 'must be "tls" or "ssh"' }),
    address: hostAddress,
    port: z.number().int().min(1).max(65535).optional(),
    upstreamAddress: hostAddress.optional(),
    labels: labels.default({}),
    bindRoot: bindRoot.optional(),
    tls: ZTlsCredentialsSchema.optional(),
    ssh: ZSshCredentialsSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.name === "local") ctx.addIssue({ code: "custom", path: ["name"], message: '"local" is the built-in server' });
    if (v.transport === "tls" && !v.tls) ctx.addIssue({ code: "custom", path: ["tls"], message: "is required for a TLS server" });
    if (v.transport === "ssh" && !v.ssh) ctx.addIssue({ code: "custom", path: ["ssh"], message: "is required for an SSH server" });
    if (v.transport === "tls" && v.ssh) ctx.addIssue({ code: "custom", path: ["ssh"], message: "is not used by a TLS server" });
    if (v.transport === "ssh" && v.tls) ctx.addIssue({ code: "custom", path: ["tls"], message: "is not used by an SSH server" });
    // A Swarm task may land on any node: a check on the manager says nothing about the node's filesystem.
    if (v.kind === "swarm" && v.bindRoot) ctx.addIssue({ code: "custom", path: ["bindRoot"], message: "is not used by a Swarm cluster (bind mounts are per node; use named volumes)" });
  });
export type TServerCreate = z.infer<typeof ZServerCreateSchema>;

/** PATCH: credentials are bound to address:port, so a new address needs them again (checked in update-server.ts). */
export const ZServerUpdateSchema = z.strictObject({
  name: name.optional(),
  address: hostAddress.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  upstreamAddress: hostAddress.optional(),
  labels: labels.optional(),
  /** null switches bind mounts off on the server. */
  bindRoot: bindRoot.nullable().optional(),
  tls: ZTlsCredentialsSchema.optional(),
  ssh: ZSshCredentialsSchema.optional(),
});
export type TServerUpdate = z.infer<typeof ZServerUpdateSchema>;

/** PATCH /api/servers/{id}/nodes/{nodeId}: labels replace the node's labels whole. */
export const ZNodeUpdateSchema = z
  .strictObject({
    availability: z.enum(["active", "pause", "drain"], { error: 'must be "active", "pause" or "drain"' }).optional(),
    labels: labels.optional(),
  })
  .refine((v) => v.availability !== undefined || v.labels !== undefined, { message: "send availability and/or labels", path: ["availability"] });
