// The engines in network namespaces that test/services/multihost.sh starts
// (through test/services/start.sh): h1 on mutual TLS, h2 behind a real sshd.
// Read from the multihost.json it writes; nothing here starts anything except
// restartSshd().
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { DockerConnection } from "../lib/docker/connection";

export interface MultihostHost {
  name: string;
  address: string;
  socket: string;
  tls?: { host: string; port: number };
  ssh?: { host: string; port: number; hostKey: string };
}

export interface Multihost {
  bridgeAddress: string;
  registries: { auth: string; public: string; username: string; password: string };
  hosts: MultihostHost[];
  tls: { host: string; port: number; caPath: string; certPath: string; keyPath: string; otherCaPath: string };
  ssh: {
    host: string;
    port: number;
    username: string;
    privateKeyPath: string;
    hostKey: string;
    hostKeyType: string;
    logPath: string;
    pidPath: string;
    clientConfigPath: string;
    binDir: string;
  };
}

const script = path.resolve(import.meta.dirname, "services/multihost.sh");

export function multihostFile(): string {
  return path.join(process.env.WHARF_SERVICES_DIR || "/tmp/wharf-services", "multihost", "multihost.json");
}

/** The environment's description; throws with the command to run when it is not up. */
export function multihost(): Multihost {
  const file = multihostFile();
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: the remote engines are not set up; run: bash test/services/start.sh`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Multihost;
}

export function multihostHost(name: string): MultihostHost {
  const h = multihost().hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in ${multihostFile()}`);
  return h;
}

/** h1's engine over mutual TLS; `ca` replaces the CA the client trusts (a CA that signed nothing here: `other`). */
export function tlsConnection(o: { ca?: "right" | "other" } = {}): Extract<DockerConnection, { kind: "tls" }> {
  const m = multihost().tls;
  const read = (p: string) => fs.readFileSync(p, "utf8");
  return { kind: "tls", host: m.host, port: m.port, ca: read(o.ca === "other" ? m.otherCaPath : m.caPath), cert: read(m.certPath), key: read(m.keyPath) };
}

/** h2's engine over SSH, with the recorded host key (override any field to test refusals). */
export function sshConnection(over: Partial<Extract<DockerConnection, { kind: "ssh" }>> = {}): Extract<DockerConnection, { kind: "ssh" }> {
  const m = multihost().ssh;
  return { kind: "ssh", host: m.host, port: m.port, username: m.username, privateKey: fs.readFileSync(m.privateKeyPath, "utf8"), hostKey: m.hostKey, ...over };
}

/** SSH logins sshd has accepted so far (its log's "Accepted publickey" lines). */
export function sshdAcceptedLogins(): number {
  const log = fs.readFileSync(multihost().ssh.logPath, "utf8");
  return log.split("\n").filter((l) => l.includes("Accepted publickey")).length;
}

/** Kills sshd and every session it serves (each SSH connection dies), then starts it again. */
export function restartSshd(): void {
  execFileSync("bash", [script, "restart-sshd"], { stdio: "pipe" });
}
