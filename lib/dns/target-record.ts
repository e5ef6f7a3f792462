import { normalizeFqdn } from "../naming";
import { typeForContent } from "./content";
import type { RecordType } from "./types";

/**
 * The record every consumer's FQDN points at, derived from the target
 * address setting. Hooks, the expected-records list and the ledger all use
 * this, so that a record's type and content are spelled one way everywhere.
 */
export function targetRecord(targetAddress: string): { type: RecordType; content: string } {
  const type = typeForContent(targetAddress);
  const v = targetAddress.trim();
  return { type, content: type === "CNAME" ? normalizeFqdn(v) : type === "AAAA" ? v.toLowerCase() : v };
}
