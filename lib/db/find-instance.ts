import { db } from "../db";
import { AppError } from "../errors";

/** The instance row by id; a removed instance is not found (NOT_FOUND), as for every caller from the API down. */
export async function findInstanceOrThrow(id: string) {
  const row = await db.instance.findUnique({ where: { id } });
  if (!row || row.status === "removed") throw new AppError("NOT_FOUND", `instance ${id} not found`);
  return row;
}
