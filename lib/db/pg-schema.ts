// The PostgreSQL schema is generated from prisma/schema.prisma (the one source
// of truth for the models): Prisma cannot switch a schema's provider at run
// time, so PostgreSQL gets its own schema file and its own generated client.
// Only the datasource provider and the client's output folder differ;
// lib/db/pg-schema.test.ts checks the committed file is exactly this output.

export const PG_SCHEMA_PATH = "prisma/postgresql/schema.prisma";
export const PG_MIGRATIONS_DIR = "prisma/postgresql/migrations";

const HEADER = `// GENERATED from prisma/schema.prisma by \`npm run generate:pg-schema\`: do not edit.
// Change prisma/schema.prisma and run \`npm run migration:new -- <name>\`.
`;

export function postgresSchema(sqliteSchema: string): string {
  let providers = 0;
  let outputs = 0;
  const body = sqliteSchema
    .replace(/(datasource\s+db\s*\{[^}]*?provider\s*=\s*)"sqlite"/, (_m, pre: string) => (providers++, `${pre}"postgresql"`))
    .replace(/(generator\s+client\s*\{[^}]*?output\s*=\s*)"\.\.\/lib\/generated\/prisma"/, (_m, pre: string) => (outputs++, `${pre}"../../lib/generated/prisma-pg"`));
  if (providers !== 1 || outputs !== 1) throw new Error("prisma/schema.prisma: expected one sqlite datasource and one client generator writing to ../lib/generated/prisma");
  return HEADER + body;
}
