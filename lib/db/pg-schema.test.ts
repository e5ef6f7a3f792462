import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PG_SCHEMA_PATH, postgresSchema } from "./pg-schema";

describe("the PostgreSQL schema", () => {
  it("is exactly prisma/schema.prisma with the PostgreSQL provider and its own client folder", () => {
    const sqlite = readFileSync("prisma/schema.prisma", "utf8");
    const committed = readFileSync(PG_SCHEMA_PATH, "utf8");
    // A stale file fails here: run `npm run generate:pg-schema` (migration:new does it too).
    expect(committed).toBe(postgresSchema(sqlite));
    const models = (s: string) => s.slice(s.indexOf("\nmodel "));
    expect(models(committed)).toBe(models(sqlite));
    expect(committed).toMatch(/provider = "postgresql"/);
    expect(committed).toMatch(/output\s+= "..\/..\/lib\/generated\/prisma-pg"/);
  });

  it("refuses a schema it cannot map", () => {
    expect(() => postgresSchema('datasource db {\n  provider = "mysql"\n}\n')).toThrow(/expected one sqlite datasource/);
  });
});
