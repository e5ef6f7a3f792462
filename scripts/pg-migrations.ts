// `npm run migration:pg-catch-up`: writes the PostgreSQL migration of every
// SQLite migration that has none (after merging a branch that added only the
// SQLite one), and regenerates prisma/postgresql/schema.prisma.
import { readFileSync, writeFileSync } from "node:fs";
import { catchUpPgMigrations } from "../lib/db/pg-migrations";
import { PG_MIGRATIONS_DIR, PG_SCHEMA_PATH, postgresSchema } from "../lib/db/pg-schema";

export async function pgCatchUp(): Promise<void> {
  writeFileSync(PG_SCHEMA_PATH, postgresSchema(readFileSync("prisma/schema.prisma", "utf8")));
  const { written, unpaired } = await catchUpPgMigrations({ sqliteDir: "prisma/migrations", pgDir: PG_MIGRATIONS_DIR });
  for (const name of written) console.log(`wrote ${PG_MIGRATIONS_DIR}/${name}/migration.sql`);
  if (!written.length) console.log("every SQLite migration has its PostgreSQL migration");
  if (unpaired.length) {
    console.error(`PostgreSQL migrations without a SQLite migration of the same name (rename them with their SQLite folder): ${unpaired.join(", ")}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  pgCatchUp().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
