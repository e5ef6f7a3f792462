import { z } from "zod";
import { ZDomainSchema } from "../settings/schemas";

export const ZAddDomainSchema = z.object({ domain: ZDomainSchema }).strict();
export type TAddDomain = z.infer<typeof ZAddDomainSchema>;
