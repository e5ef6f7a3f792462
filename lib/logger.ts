import pino from "pino";
import { liveEnv } from "./env";

// Structured logs (STYLE habit 9). Secret-bearing keys are redacted wherever
// they appear so that a provider config or request passed by mistake cannot leak.
export const logger = pino({
  level: liveEnv().logLevel,
  base: { app: "wharf" },
  redact: {
    paths: [
      "password", "*.password", "*.*.password",
      "apiToken", "*.apiToken", "*.*.apiToken",
      "apiKey", "*.apiKey", "*.*.apiKey",
      "token", "*.token", "secret", "*.secret",
      "authorization", "*.authorization", "headers.authorization", "*.headers.authorization",
      "env", "*.env",
    ],
    censor: "[redacted]",
  },
});

export type Logger = typeof logger;

/** A child logger for one operation; `step(name)` logs with elapsed milliseconds. */
export function operationLogger(fields: { op: string; consumer?: string; [k: string]: unknown }) {
  const started = Date.now();
  const log = logger.child(fields);
  return {
    log,
    step(step: string, extra: Record<string, unknown> = {}, msg = step) {
      log.info({ step, elapsedMs: Date.now() - started, ...extra }, msg);
    },
    fail(step: string, err: unknown, extra: Record<string, unknown> = {}) {
      log.warn({ step, elapsedMs: Date.now() - started, err: err instanceof Error ? err.message : String(err), ...extra }, `${step} failed`);
    },
  };
}
