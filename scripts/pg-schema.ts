// Writes prisma/postgresql/schema.prisma from prisma/schema.prisma: `npm run generate:pg-schema`.
import { readFileSync, writeFileSync } from "node:fs";
import { PG_SCHEMA_PATH, postgresSchema } from "../lib/db/pg-schema";

const next = postgresSchema(readFileSync("prisma/schema.prisma", "utf8"));
let prior = "";
try {
  prior = readFileSync(PG_SCHEMA_PATH, "utf8");
} catch {}
if (prior !== next) {
  writeFileSync(PG_SCHEMA_PATH, next);
  console.log(`wrote ${PG_SCHEMA_PATH}`);
}
