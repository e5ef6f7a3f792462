import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import { errorMessage } from "../errors";
import type { TOpenChannel } from "./channel-config";
import { emailText, httpPayload, textOf, titleOf, type TMessage } from "./format-message";

const SEND_TIMEOUT_MS = 10_000;

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a TLS error) is on its cause. */
function fetchError(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  if ((err as Error)?.name === "TimeoutError") return `no answer within ${SEND_TIMEOUT_MS / 1000} s`;
  return cause ? `${errorMessage(err)}: ${errorMessage(cause)}` : errorMessage(err);
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", body, headers, redirect: "manual", signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(fetchError(err));
  }
  const text = await res.text().catch(() => "");
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ""}`);
}

/**
 * Sends one message to one channel; throws an Error whose message is the
 * receiver's exact answer (status and body, the SMTP reply, the socket error).
 */
export async function sendToChannel(channel: TOpenChannel, m: TMessage, deliveryId: string): Promise<void> {
  const c = channel.config;
  switch (channel.type) {
    case "webhook": {
      const body = httpPayload("webhook", m);
      return post(String(c.url), body, {
        "content-type": "application/json",
        "user-agent": "Wharf-Notifications",
        "x-wharf-event": m.event,
        "x-wharf-delivery": deliveryId,
        "x-wharf-signature-256": signBody(body, String(c.secret)),
      });
    }
    case "slack":
    case "discord":
      return post(String(c.url), httpPayload(channel.type, m), { "content-type": "application/json" });
    case "ntfy": {
      const base = String(c.serverUrl).replace(/\/+$/, "");
      // ntfy's publish-as-headers form; header values must be ASCII, so the title is the one place names could break it.
      const headers: Record<string, string> = {
        title: titleOf(m).replace(/[^\x20-\x7e]/g, "?"),
        priority: String(c.priority ?? 3),
        tags: m.event.replace(/\./g, "_"),
      };
      if (m.url) headers.click = m.url;
      if (c.token) headers.authorization = `Bearer ${String(c.token)}`;
      return post(`${base}/${encodeURIComponent(String(c.topic))}`, textOf(m), headers);
    }
    case "email": {
      const transport = nodemailer.createTransport({
        host: String(c.host),
        port: Number(c.port),
        secure: c.security === "tls",
        requireTLS: c.security === "starttls",
        ignoreTLS: c.security === "none",
        auth: c.username ? { user: String(c.username), pass: String(c.password ?? "") } : undefined,
        tls: c.trustedRootPem ? { ca: [String(c.trustedRootPem)] } : undefined,
        connectionTimeout: SEND_TIMEOUT_MS,
        greetingTimeout: SEND_TIMEOUT_MS,
        socketTimeout: SEND_TIMEOUT_MS,
      });
      const { subject, text } = emailText(m);
      try {
        await transport.sendMail({ from: String(c.from), to: (c.to as string[]).join(", "), subject, text, headers: { "X-Wharf-Event": m.event, "X-Wharf-Delivery": deliveryId } });
      } finally {
        transport.close();
      }
      return;
    }
  }
}
