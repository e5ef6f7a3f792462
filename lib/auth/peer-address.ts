import http from "node:http";
import { randomBytes } from "node:crypto";

// The socket's peer address for the per-address login throttle (issue 21).
// Route handlers see a Web Request without the socket, and Next.js fills
// X-Forwarded-For only when the client did not send one (so it is whatever
// the client claims). The server process therefore stamps every incoming
// request with its socket's address under a header that carries a secret of
// this process: a client sending that header itself is overwritten, and a
// value without the secret (another process, a test) is ignored.

export const PEER_HEADER = "x-wharf-peer";
const g = globalThis as { wharfPeerNonce?: string; wharfPeerInstalled?: boolean };

function nonce(): string {
  g.wharfPeerNonce ??= randomBytes(16).toString("hex");
  return g.wharfPeerNonce;
}

/** Stamps every request of every http.Server in this process (called once at start-up). */
export function installPeerAddress(): void {
  if (g.wharfPeerInstalled) return;
  g.wharfPeerInstalled = true;
  const secret = nonce();
  const emit = http.Server.prototype.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as http.IncomingMessage;
      req.headers[PEER_HEADER] = `${secret} ${req.socket?.remoteAddress ?? ""}`;
    }
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}

/** The stamped peer address, or null when the request was not stamped by this process. */
export function peerAddress(headers: Record<string, unknown> | undefined): string | null {
  const raw = headers?.[PEER_HEADER];
  if (typeof raw !== "string" || !g.wharfPeerNonce) return null;
  const [secret, address] = raw.split(" ");
  if (secret !== g.wharfPeerNonce || !address) return null;
  // IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d.
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "").slice(0, 64);
}
