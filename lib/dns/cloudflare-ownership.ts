import { AppError } from "../errors";
import { markerAllowsWrite, markerOwner, normalizeFqdn, parseRecordMarker } from "../naming";
import type { CfRecord } from "./cloudflare-client";
import { isManagedType, sameContent } from "./content";
import type { DesiredRecord } from "./types";

// Ownership and adoption at Cloudflare, in one place (SPEC §4.8). The record
// comment carries the marker `wharf:<installation>:<consumer type>:<id>`:
// - this installation's marker: ours, to update or delete;
// - a legacy marker (`wharf:<type>:<id>`, written before installation ids):
//   ours to update when it names the consumer being written (consumer ids are
//   cuids, unique across installations), ours to delete when the ledger names
//   the record; a write replaces it with the current marker;
// - another installation's marker, or none: foreign, never changed, reported.

/** Whether this installation may write `want` over the record `r`. */
export function mayWrite(r: CfRecord, installation: string, want: DesiredRecord): boolean {
  return markerAllowsWrite(r.comment, installation, want.marker);
}

/** Whether this installation may delete the record when its ledger asks to. */
export function mayDelete(r: CfRecord, installation: string): boolean {
  return ["mine", "legacy"].includes(markerOwner(r.comment, installation));
}

/** Whether the record carries exactly the marker being written (the read-back check). */
export function carries(r: CfRecord, want: DesiredRecord): boolean {
  return (r.comment ?? null) === want.marker;
}

export function foreignError(r: CfRecord, installation: string): AppError {
  const name = normalizeFqdn(r.name);
  const who = markerOwner(r.comment, installation);
  const other = who === "other" ? parseRecordMarker(r.comment!)?.installation : null;
  const message =
    who === "other"
      ? `${name} has a ${r.type} record (${r.content}) owned by another Wharf installation${other ? ` (${other})` : ""}; this one leaves it alone`
      : `${name} already has a ${r.type} record (${r.content}) that Wharf did not create`;
  return new AppError("FOREIGN_RESOURCE", message, { details: { fqdn: name, id: r.id, type: r.type, content: r.content } });
}

export interface NamePlan {
  /** A record in the way that is not ours: nothing may be written. */
  alien?: CfRecord;
  /** Our record to keep (and edit if it differs). */
  keep?: CfRecord;
  /** Our records in the way: duplicates, or another type a CNAME cannot share its name with. */
  remove: CfRecord[];
}

/**
 * What writing `want` at its name needs, given the records there now. A CNAME
 * cannot share its name with A/AAAA records, so those count as in the way
 * too; only a record of the wanted type is kept (a type is never edited in
 * place: the old record is deleted and a new one created).
 */
export function resolveName(atName: CfRecord[], want: DesiredRecord, installation: string, preferId?: string): NamePlan {
  const inWay = atName.filter((r) => isManagedType(r.type) && (r.type === want.type || r.type === "CNAME" || want.type === "CNAME"));
  const alien = inWay.find((r) => !mayWrite(r, installation, want));
  if (alien) return { alien, remove: [] };
  const same = inWay.filter((r) => r.type === want.type);
  const keep =
    same.find((r) => r.id === preferId) ?? same.find((r) => sameContent(want.type, r.content ?? "", want.content)) ?? same[0];
  return { keep, remove: inWay.filter((r) => r !== keep) };
}

export interface DeleteRef {
  fqdn: string;
  type: string;
  content?: string;
  id?: string | null;
}

/**
 * The records a delete removes: exactly the record it names when that still
 * exists; otherwise (no id, or the id is gone) our records of that type at the
 * name whose content matches. Identical records cannot coexist at Cloudflare
 * (81058), so a kept duplicate never has the content of the one deleted.
 */
export function deletionTargets(atName: CfRecord[], byId: CfRecord | undefined, ref: DeleteRef, installation: string): CfRecord[] {
  if (byId) {
    if (!mayDelete(byId, installation)) throw foreignError(byId, installation);
    return [byId];
  }
  const type = ref.type.toUpperCase();
  return atName.filter(
    (r) =>
      r.type === type &&
      mayDelete(r, installation) &&
      (ref.content === undefined || sameContent(type, r.content ?? "", ref.content)),
  );
}
