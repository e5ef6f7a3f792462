// Wharf's command line, over the same library code as the web app:
//   npm run wharf -- <command> [options]
// Exit codes: 0 ok, 1 failed, 2 usage, 3 conflict (e.g. a sync is running), 4 not found.
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureStarted } from "../lib/startup";
import { liveEnv } from "../lib/env";
import { isAppError, errorMessage } from "../lib/errors";
import type { Actor } from "../lib/audit/record-event";

const USAGE = `usage: npm run wharf -- <command>

  dns list [--json]                 records in the ledger (and expected names in wildcard mode)
  dns add <fqdn>                    ensure the record of the instance/proxy using <fqdn> now
  dns delete <fqdn>                 delete a record Wharf created (provider, then ledger)
  dns sync [--dry-run] [--force]    reconcile now (--force allows a large delete)
  token create --name <name> [--role admin|viewer] [--owner <email>]
                                    (a token belongs to a user: --owner, or the first admin)
  user create --email <email> [--password <pw>] [--role admin|viewer]
                                    (the password can also come from WHARF_PASSWORD)
  db migrate-to-postgres [--from file:<path>] [--to postgres://...]
                                    copy the SQLite database (default: the configured one) into an
                                    empty PostgreSQL database (default: DATABASE_URL), then verify it`;

const actor: Actor = { kind: "cli", label: `cli:${liveEnv().cliUser ?? "local"}`, role: "admin" };

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" }, "dry-run": { type: "boolean" }, force: { type: "boolean" },
      name: { type: "string" }, role: { type: "string" }, email: { type: "string" }, owner: { type: "string" }, password: { type: "string" }, help: { type: "boolean", short: "h" },
      from: { type: "string" }, to: { type: "string" },
    },
  });
  const [group, cmd, arg] = positionals;
  if (values.help || !group) throw new UsageError("");
  const key = `${group} ${cmd ?? ""}`.trim();
  // Before ensureStarted(): with DATABASE_URL on PostgreSQL, starting would write the target (the installation id).
  if (key === "db migrate-to-postgres") return migrateToPostgresCommand(values.from, values.to);
  await ensureStarted();
  switch (key) {
    case "dns list": {
      const { listDnsRecords } = await import("../lib/dns/list-records");
      // Every record, read 500 at a time (the list API's largest page).
      let cursor: string | null = null;
      let count = 0;
      const all: unknown[] = [];
      do {
        const params = new URLSearchParams({ limit: "500", ...(cursor ? { cursor } : {}) });
        const res = await listDnsRecords({ params });
        if (count === 0 && !values.json) console.log(`mode: ${res.mode}`);
        if (values.json) all.push(...res.records);
        else for (const r of res.records) console.log([r.fqdn, r.type, r.content, r.status, `${r.consumerType}:${r.consumerId}`, r.lastError ?? ""].join("\t").trimEnd());
        if (values.json && !res.nextCursor) return print({ mode: res.mode, records: all, total: res.total });
        count += res.records.length;
        cursor = res.nextCursor;
      } while (cursor);
      console.log(`${count} record(s)`);
      return 0;
    }
    case "dns add": {
      if (!arg) throw new UsageError("dns add needs <fqdn>");
      const { addDnsRecord } = await import("../lib/dns/add-record");
      const res = await addDnsRecord({ actor, fqdn: arg });
      console.log(`${res.fqdn}: ${res.status}${res.error ? ` (${res.error})` : ""}`);
      return res.status === "failed" ? 1 : 0;
    }
    case "dns delete": {
      if (!arg) throw new UsageError("dns delete needs <fqdn>");
      const { deleteDnsRecord } = await import("../lib/dns/delete-record");
      const res = await deleteDnsRecord({ actor, fqdn: arg });
      console.log(`${res.fqdn}: ${res.outcome}`);
      return 0;
    }
    case "dns sync": {
      const { runSync } = await import("../lib/reconcile/run-sync");
      const r = await runSync({ trigger: "cli", dryRun: values["dry-run"] ?? false, force: values.force ?? false, actor });
      if (values.json) return print(r);
      for (const l of r.lines) console.log(`${l.status.padEnd(7)} ${l.kind.padEnd(9)} ${l.action.padEnd(7)} ${l.name}${l.message ? `  ${l.message}` : ""}`);
      console.log(
        `${r.dryRun ? "dry run: " : ""}created ${r.created}, updated ${r.updated}, deleted ${r.deleted}, already synced ${r.alreadySynced}, failed ${r.failed}, foreign ${r.foreign}; ` +
          `containers restarted ${r.containers.restarted}, routes repaired ${r.routes.repaired}; ${r.apiCalls} API calls in ${r.durationMs} ms`,
      );
      if (r.blocked) console.log(`blocked: ${r.blocked}`);
      return r.failed || r.containers.failed || r.routes.failed ? 1 : 0;
    }
    case "token create": {
      const { createApiToken } = await import("../lib/auth/tokens");
      const { findTokenOwner } = await import("../lib/auth/users");
      // A token belongs to a user (issue 21): it acts with at most the owner's role and dies with them.
      const owner = await findTokenOwner(values.owner);
      const t = await createApiToken({ actor, userId: owner.id, body: { name: values.name ?? "", role: values.role ?? "viewer" } });
      console.error(`token "${t.name}" (${t.role}) created, owned by ${owner.email}; it is shown once:`);
      console.log(t.token);
      return 0;
    }
    case "user create": {
      const { createUser } = await import("../lib/auth/users");
      const password = values.password ?? liveEnv().cliPassword ?? "";
      const u = await createUser({ actor, body: { email: values.email ?? "", password, role: values.role ?? "viewer" } });
      console.log(`user ${u.email} (${u.role}) created`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${key}`);
  }
}

async function migrateToPostgresCommand(from: string | undefined, to: string | undefined): Promise<number> {
  const { env } = await import("../lib/env");
  const { isPostgresUrl } = await import("../lib/db/migrate");
  const { migrateToPostgres, formatReport, redactUrl } = await import("../lib/db/migrate-to-postgres");
  const e = env();
  const source = from ?? (e.dbProvider === "sqlite" ? e.databaseUrl : `file:${path.join(e.dataDir, "wharf.db")}`);
  const target = to ?? (e.dbProvider === "postgresql" ? e.databaseUrl : undefined);
  if (!source.startsWith("file:")) throw new UsageError("--from must be a file: URL (the SQLite database)");
  if (!target || !isPostgresUrl(target)) throw new UsageError("db migrate-to-postgres needs --to postgres://... (or DATABASE_URL set to one)");
  console.log(`copying ${source} (read-only) into ${redactUrl(target)}`);
  const r = await migrateToPostgres({ from: source, to: target, log: (l) => console.log(l) });
  for (const l of formatReport(r)) console.log(l);
  const secrets = path.join(path.dirname(source.slice("file:".length).split("?")[0]), "secrets.json");
  console.log(
    `next: start every replica with DATABASE_URL=${redactUrl(target)} and the same NEXTAUTH_SECRET, WHARF_ENCRYPTION_KEY and CRON_SECRET; ` +
      `to keep sessions and encrypted settings, take them from ${secrets} (authSecret, encryptionSecret, cronSecret) unless they were set in the environment`,
  );
  return 0;
}

function print(v: unknown): number {
  console.log(JSON.stringify(v, null, 2));
  return 0;
}

const CODES: Record<string, number> = { CONFLICT: 3, SYNC_IN_PROGRESS: 3, FOREIGN_RESOURCE: 3, NOT_FOUND: 4, VALIDATION: 2 };

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError || (err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      if (err.message) console.error(`wharf: ${err.message}`);
      console.error(USAGE);
      process.exit(2);
    }
    console.error(`wharf: ${errorMessage(err)}`);
    process.exit(isAppError(err) ? (CODES[err.code] ?? 1) : 1);
  },
);
