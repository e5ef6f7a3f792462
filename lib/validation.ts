import { z } from "zod";
import { AppError } from "./errors";

/** Dotted path of a zod issue: `dns.provider.apiToken`, `env.2.key`. */
export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join(".");
}

/** Field → first message, for forms. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issuePath(issue) || "_";
    out[key] ??= issue.message;
  }
  return out;
}

/** Parses input or throws AppError(VALIDATION) whose message and `field` name the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  // reportInput: zod 4 omits the rejected value otherwise, and "wrong type" would read as "is required".
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  let field = issuePath(issue);
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    field = [field, issue.keys[0]].filter(Boolean).join(".");
    message = "is not a known field";
  }
  if (issue.code === "invalid_type" && issue.input === undefined) message = "is required";
  if (!field) {
    field = "body";
    if (issue.code === "invalid_type") message = `must be a JSON ${issue.expected}`;
  }
  throw new AppError("VALIDATION", field ? `${field}: ${message}` : message, {
    field: field || undefined,
    details: { fields: fieldErrors(parsed.error) },
  });
}
