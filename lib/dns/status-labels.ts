// Shared by the DNS page (server) and its table (client): no imports, so the
// client bundle does not pull in the database.

/** How a DNS list status reads in the UI, where it is not the status itself. */
export const DNS_STATUS_LABEL: Record<string, string> = { wildcard: "covered by wildcard" };
