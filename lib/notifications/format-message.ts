import type { TChannelType } from "../outbox/events";

/** What one message says, whatever the channel (SPEC §17's webhook body). */
export interface TMessage {
  event: string;
  at: string;
  consumer?: { type: string; id: string; name: string };
  message: string;
  url?: string;
  count: number;
}

export function buildMessage(e: { event: string; lastAt: Date; consumerType: string | null; consumerId: string | null; consumerName: string | null; message: string; path: string | null; count: number }, publicUrl: string | null): TMessage {
  // Joined as text: new URL("/instances/x", base) would drop a base path (Wharf served under /wharf).
  const url = e.path && publicUrl ? `${publicUrl.replace(/\/+$/, "")}/${e.path.replace(/^\/+/, "")}` : undefined;
  return {
    event: e.event,
    at: e.lastAt.toISOString(),
    ...(e.consumerType && e.consumerId ? { consumer: { type: e.consumerType, id: e.consumerId, name: e.consumerName ?? e.consumerId } } : {}),
    message: e.message,
    ...(url ? { url } : {}),
    count: e.count,
  };
}

/** "deploy.failed: web" */
export function titleOf(m: TMessage): string {
  return `[Wharf] ${m.event}${m.consumer ? `: ${m.consumer.name}` : ""}`;
}

/** The message line, with the fold count when it stands for several. */
export function textOf(m: TMessage): string {
  return m.count > 1 ? `${m.message} (${m.count} times)` : m.message;
}

/** The HTTP body each chat service expects (their documented incoming-webhook formats). */
export function httpPayload(type: Exclude<TChannelType, "email" | "ntfy">, m: TMessage): string {
  switch (type) {
    case "webhook":
      return JSON.stringify(m);
    case "slack": {
      // Slack mrkdwn: <url|label> is a link; &, < and > must be escaped in text.
      const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      const link = m.url ? `\n<${m.url}|Open in Wharf>` : "";
      const text = `*${esc(titleOf(m))}*\n${esc(textOf(m))}${link}`;
      return JSON.stringify({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
    }
    case "discord":
      // Discord: content at most 2,000 characters; an embed title 256, description 4,096.
      return JSON.stringify({
        content: titleOf(m).slice(0, 2000),
        embeds: [{ title: titleOf(m).slice(0, 256), description: textOf(m).slice(0, 4096), ...(m.url ? { url: m.url } : {}), timestamp: m.at, color: 0xd93025 }],
        allowed_mentions: { parse: [] },
      });
  }
}

export function emailText(m: TMessage): { subject: string; text: string } {
  const lines = [textOf(m), "", `Event: ${m.event}`, `At: ${m.at}`];
  if (m.consumer) lines.push(`${m.consumer.type}: ${m.consumer.name}`);
  if (m.url) lines.push("", m.url);
  return { subject: titleOf(m), text: lines.join("\n") + "\n" };
}
