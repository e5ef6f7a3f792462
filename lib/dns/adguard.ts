import { AppError, errorMessage, isAppError } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import type { ConnectionResult } from "../proxy/types";
import type { TAdguardConfig } from "../settings/schemas";
import { AdguardApi, type AdguardOptions, type Rewrite } from "./adguard-api";
import { sameContent, typeForContent, validateDesired } from "./content";
import { backoffDelay, sleep } from "./retry";
import type { ChangeResult, DesiredRecord, DnsProvider, DnsZone, ProviderRecord, RecordChange } from "./types";

// AdGuard Home has no zones: rewrites are one flat list that applies to any
// name. The settings page still wants a zone to select and the ledger a zone
// to record, so the provider reports a single pseudo-zone.
export const ADGUARD_ZONE: DnsZone = { id: "adguard", name: "(rewrites)" };

type Action = { op: "add"; entry: Rewrite } | { op: "delete"; entry: Rewrite } | { op: "update"; target: Rewrite; entry: Rewrite };

const log = logger.child({ provider: "adguard" });

export const rewriteId = (r: Rewrite) => `${r.domain}|${r.answer}`;

function toRecord(r: Rewrite): ProviderRecord {
  const type = typeForContent(r.answer);
  return { id: rewriteId(r), fqdn: normalizeFqdn(r.domain), type, content: type === "CNAME" ? normalizeFqdn(r.answer) : r.answer.trim(), marker: null };
}

/**
 * AdGuard Home's rewrite API cannot be trusted to have done what it said:
 * delete answers 200 whether or not anything matched, add happily stores
 * duplicates, and matching is by exact string (so "App.example.com" is not
 * "app.example.com"). Every write here is therefore a convergence loop: read
 * the list, compute what still differs from the goal, act, read again, with
 * backoff and a bounded number of rounds. Without markers, ownership is the
 * ledger's call: callers must not ensure a name the ledger does not own.
 */
export class AdguardProvider implements DnsProvider {
  readonly type = "adguard" as const;
  readonly hasMarkers = false;
  readonly zone = ADGUARD_ZONE.name;
  private readonly api: AdguardApi;

  constructor(config: TAdguardConfig, opts: AdguardOptions = {}) {
    this.api = new AdguardApi(config.url, config.username, config.password ?? "", opts);
  }

  get apiCalls(): number {
    return this.api.calls;
  }

  recordOptions(dns: { ttl: number; proxied: boolean }): { ttl: number; proxied?: boolean } {
    return { ttl: dns.ttl };
  }

  private async converge(what: string, step: (list: Rewrite[], round: number) => Action[]): Promise<Rewrite[]> {
    const rounds = this.api.policy.attempts;
    let lastError: unknown;
    for (let round = 1; ; round++) {
      const list = await this.api.list();
      const actions = step(list, round);
      if (!actions.length) return list;
      if (round > rounds) {
        const why = lastError ? `: ${errorMessage(lastError)}` : "";
        throw new AppError("PROVIDER_ERROR", `AdGuard Home still disagrees about ${what} after ${rounds} attempts${why}`);
      }
      if (round > 1) await sleep(backoffDelay(round - 1, this.api.policy));
      for (const action of actions) {
        try {
          if (action.op === "add") await this.api.add(action.entry);
          else if (action.op === "delete") await this.api.remove(action.entry);
          else await this.api.update(action.target, action.entry);
        } catch (err) {
          const status = isAppError(err) ? (err.details?.status as number | undefined) : undefined;
          // A refused update is retried as add + delete; other 4xx (bad auth, bad input) will not get better.
          if (action.op !== "update" && status !== undefined && status < 500 && status !== 429) throw err;
          lastError = err;
          log.warn({ what, round, action: action.op, err: errorMessage(err) }, "adguard write failed; will read back and retry");
        }
      }
    }
  }

  /**
   * AdGuard Home has no markers, so the ledger alone says what is Wharf's
   * (SPEC §4.8). ensureRecord updates a rewrite at the name in place, which
   * would take over the operator's own rewrite; so a name Wharf has not
   * written yet is first checked for one, and an existing rewrite is refused
   * as foreign.
   */
  async assertClaimable(ref: { fqdn: string; type: string }, writtenBefore: boolean): Promise<void> {
    if (writtenBefore) return;
    const found = await this.verifyRecord(ref);
    if (found) {
      throw new AppError("FOREIGN_RESOURCE", `${ref.fqdn} already has an adguard rewrite (→ ${found.content}) that is not in Wharf's ledger; Wharf leaves it alone`, {
        details: { fqdn: ref.fqdn, type: ref.type, content: found.content },
      });
    }
  }

  /** Without markers, any failure other than a refused claim may have left the rewrite behind: its id lets removal delete it. */
  idAfterFailedWrite(rec: { fqdn: string; content: string }, err: unknown): string | null {
    return isAppError(err) && err.code === "FOREIGN_RESOURCE" ? null : rewriteId({ domain: rec.fqdn, answer: rec.content });
  }

  async ensureRecord(input: DesiredRecord): Promise<ProviderRecord> {
    const rec = validateDesired(input);
    if (typeForContent(rec.content) !== rec.type) {
      throw new AppError("VALIDATION", `AdGuard Home derives the type from the answer: ${rec.content} cannot be a ${rec.type} rewrite`, { field: "type" });
    }
    const wanted: Rewrite = { domain: rec.fqdn, answer: rec.content };
    let updateTried = false;
    const list = await this.converge(`${rec.fqdn} → ${rec.content}`, (list) => {
      const sameType = list.filter((r) => normalizeFqdn(r.domain) === rec.fqdn && typeForContent(r.answer) === rec.type);
      const matching = sameType.filter((r) => r.enabled !== false && sameContent(rec.type, r.answer, rec.content));
      const others = sameType.filter((r) => !matching.includes(r));
      if (matching.length === 1 && others.length === 0) return [];
      if (matching.length === 0 && others.length === 1 && !updateTried) {
        updateTried = true; // one rewrite to retarget: update it in place, so the name never stops resolving
        return [{ op: "update", target: others[0], entry: wanted }];
      }
      const actions: Action[] = matching.length ? [] : [{ op: "add", entry: wanted }];
      // One delete per distinct stored string: AdGuard deletes by value, so
      // exact copies may all go at once; the next round re-adds if needed.
      const keep = matching[0];
      const drop = [...others, ...matching.filter((r) => r !== keep && !(r.domain === keep.domain && r.answer === keep.answer))];
      if (keep && matching.filter((r) => r.domain === keep.domain && r.answer === keep.answer).length > 1) drop.push(keep);
      const distinct = new Map(drop.map((r) => [rewriteId(r), r]));
      return [...actions, ...[...distinct.values()].map((entry): Action => ({ op: "delete", entry }))];
    });
    const found = list.find((r) => normalizeFqdn(r.domain) === rec.fqdn && sameContent(rec.type, r.answer, rec.content));
    if (!found) throw new AppError("PROVIDER_ERROR", `AdGuard Home does not list ${rec.fqdn} → ${rec.content}`);
    log.info({ fqdn: rec.fqdn, type: rec.type }, "rewrite ensured");
    return toRecord(found);
  }

  async deleteRecord(ref: { fqdn: string; type: string; content?: string; id?: string | null }): Promise<void> {
    const fqdn = normalizeFqdn(ref.fqdn);
    const type = ref.type.toUpperCase();
    await this.converge(`removal of ${fqdn} ${type}`, (list) => {
      const targets = list.filter(
        (r) =>
          (ref.id && rewriteId(r) === ref.id) ||
          (normalizeFqdn(r.domain) === fqdn && typeForContent(r.answer) === type && (ref.content === undefined || sameContent(type, r.answer, ref.content))),
      );
      const distinct = new Map(targets.map((r) => [rewriteId(r), r]));
      return [...distinct.values()].map((entry): Action => ({ op: "delete", entry }));
    });
    log.info({ fqdn, type }, "rewrite removed");
  }

  async listRecords(): Promise<ProviderRecord[]> {
    return (await this.api.list()).filter((r) => r.enabled !== false).map(toRecord);
  }

  async verifyRecord(ref: { fqdn: string; type: string; content?: string }): Promise<ProviderRecord | null> {
    const fqdn = normalizeFqdn(ref.fqdn);
    const type = ref.type.toUpperCase();
    const records = (await this.listRecords()).filter((r) => r.fqdn === fqdn && r.type === type);
    return records.find((r) => ref.content === undefined || sameContent(type, r.content, ref.content)) ?? null;
  }

  async listZones(): Promise<DnsZone[]> {
    return [ADGUARD_ZONE];
  }

  async testConnection(): Promise<ConnectionResult> {
    try {
      const status = await this.api.status();
      await this.api.list();
      return { ok: true, message: `Connected to AdGuard Home${status?.version ? ` ${status.version}` : ""}` };
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
  }

  /** AdGuard Home has no bulk endpoint: changes run one after another, each failure isolated. */
  async applyChanges(changes: RecordChange[]): Promise<ChangeResult[]> {
    const results: ChangeResult[] = [];
    for (const change of changes) {
      try {
        if (change.op === "delete") {
          await this.deleteRecord({ fqdn: change.fqdn, type: change.type, content: change.content, id: change.id });
          results.push({ change, ok: true });
          continue;
        }
        const record = await this.ensureRecord(change.record);
        if (change.op === "update" && change.id !== record.id) {
          const [domain, answer] = change.id.split("|");
          const old = { fqdn: domain ?? "", type: typeForContent(answer ?? ""), content: answer, id: change.id };
          if (!(normalizeFqdn(old.fqdn) === record.fqdn && sameContent(record.type, old.content ?? "", record.content))) await this.deleteRecord(old);
        }
        results.push({ change, ok: true, record });
      } catch (err) {
        results.push({ change, ok: false, error: errorMessage(err) });
      }
    }
    return results;
  }
}
