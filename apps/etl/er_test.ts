import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";
import { TABLES } from "./tables.ts";

interface Table {
  columns: Map<string, string>;
  primaryKey: Set<string>;
  foreignKeys: Map<string, string>;
}

/** Tables of `create table` statements: columns with their type, primary and foreign keys. */
function tablesFromDdl(ddl: string): Map<string, Table> {
  const tables = new Map<string, Table>();
  const statements = ddl.replace(/--.*$/gm, "").matchAll(/create table (\w+) \(([\s\S]*?)\n\);/g);
  for (const [, name, body] of statements) {
    const table: Table = { columns: new Map(), primaryKey: new Set(), foreignKeys: new Map() };
    for (const line of body!.split("\n").map((l) => l.trim().replace(/,$/, ""))) {
      const tableKey = /^primary key \(([^)]+)\)$/.exec(line);
      if (tableKey) {
        for (const column of tableKey[1]!.split(",")) table.primaryKey.add(column.trim());
        continue;
      }
      const column = /^(\w+) (\w+)/.exec(line);
      if (column === null || column[1] === "constraint") continue;
      const [, columnName, type] = column as unknown as [string, string, string];
      table.columns.set(columnName, type);
      if (/\bprimary key\b/.test(line)) table.primaryKey.add(columnName);
      const reference = /\breferences (\w+)/.exec(line);
      if (reference) table.foreignKeys.set(columnName, reference[1]!);
    }
    tables.set(name!, table);
  }
  return tables;
}

/** Entities of a Mermaid erDiagram: attributes with their type and PK/FK keys. */
function tablesFromMermaid(markdown: string): {
  tables: Map<string, Table>;
  relations: Set<string>;
} {
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
  const tables = new Map<string, Table>();
  for (const [, name, body] of diagram.matchAll(/^\s*(\w+) \{\n([\s\S]*?)^\s*\}/gm)) {
    const table: Table = { columns: new Map(), primaryKey: new Set(), foreignKeys: new Map() };
    for (const line of body!
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)) {
      const [, type, column, keys] = /^(\w+) (\w+)(?: ((?:PK|FK|UK)(?:, ?(?:PK|FK|UK))*))?/.exec(
        line,
      ) as RegExpExecArray;
      table.columns.set(column!, type!);
      if (keys?.includes("PK")) table.primaryKey.add(column!);
      if (keys?.includes("FK")) table.foreignKeys.set(column!, "");
    }
    tables.set(name!, table);
  }
  const relations = new Set(
    [...diagram.matchAll(/^\s*(\w+) [|}o][|o]--[|o][{|] (\w+) :/gm)].map(
      ([, parent, child]) => `${parent}->${child}`,
    ),
  );
  return { tables, relations };
}

const ddl = tablesFromDdl(
  readFileSync(join(PROJECT_ROOT, "sql/postgres/001_3nf_schema.sql"), "utf8"),
);
const er = tablesFromMermaid(readFileSync(join(PROJECT_ROOT, "docs/er.md"), "utf8"));

test("docs/er.md and the DDL have the same tables, the ETL's seven", () => {
  expect([...ddl.keys()].sort()).toEqual([...TABLES].sort());
  expect([...er.tables.keys()].sort()).toEqual([...TABLES].sort());
});

test("docs/er.md and the DDL have the same columns, types and keys in every table", () => {
  for (const [name, table] of ddl) {
    const drawn = er.tables.get(name)!;
    expect({ name, columns: [...drawn.columns] }).toEqual({ name, columns: [...table.columns] });
    expect({ name, pk: [...drawn.primaryKey].sort() }).toEqual({
      name,
      pk: [...table.primaryKey].sort(),
    });
    expect({ name, fk: [...drawn.foreignKeys.keys()].sort() }).toEqual({
      name,
      fk: [...table.foreignKeys.keys()].sort(),
    });
  }
});

test("docs/er.md draws one relationship per foreign key", () => {
  const fromDdl = new Set(
    [...ddl].flatMap(([child, table]) =>
      [...table.foreignKeys.values()].map((parent) => `${parent}->${child}`),
    ),
  );
  expect([...er.relations].sort()).toEqual([...fromDdl].sort());
});

test("the DDL parser of this test sees keys at all (it would pass vacuously otherwise)", () => {
  expect([...ddl.get("group_topics")!.primaryKey].sort()).toEqual(["group_id", "topic_urlkey"]);
  expect(ddl.get("rsvps")!.foreignKeys).toEqual(
    new Map([
      ["event_id", "events"],
      ["member_id", "members"],
    ]),
  );
  expect(ddl.get("groups")!.columns.get("lat")).toBe("numeric");
});
