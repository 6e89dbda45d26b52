import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DUCKDB_CLI, writeLakeFixture } from "./_lake_fixture.ts";
import { BatchPanelsService } from "./batch.ts";
import { dendrogramLines } from "./client/plots.ts";

let root: string;
let lake: string;
let service: BatchPanelsService;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "dashboard-batch-"));
  lake = join(root, "lake");
  service = await BatchPanelsService.open(lake, 128);
}, 60_000);

afterAll(() => {
  service.close();
  rmSync(root, { recursive: true, force: true });
});

const panel = (panels: Awaited<ReturnType<BatchPanelsService["panels"]>>, id: string) =>
  panels.panels.find((p) => p.id === id);

describe("BatchPanelsService.panels()", () => {
  test("says how to produce the data when the lake is empty", async () => {
    const panels = await service.panels(1);
    for (const p of panels.panels) {
      expect(p.asOf).toBeNull();
      expect(p.empty).toMatch(/make (etl|ml)/);
    }
    expect(panels.dendrogram).toBeNull();
    expect(panels.dendrogramEmpty).toMatch(/dendrogram\.json/);
  });

  test("computes the 3NF panels with the newest input's mtime as 'as of'", async () => {
    writeLakeFixture(lake);
    const members = join(lake, "3nf", "members.parquet");
    utimesSync(members, new Date(1_800_000_000_000), new Date(1_800_000_000_000));
    const panels = await service.panels(2);
    const top = panel(panels, "top-members")!;
    expect(top.columns).toEqual(["member", "yes_rsvps", "rsvps"]);
    expect(top.rows).toHaveLength(5);
    expect(top.asOf).toBe(statSync(members).mtimeMs);
    expect(panel(panels, "top-groups")?.rows.length).toBe(3);
    expect(panel(panels, "top-topics")?.rows[0]?.[0]).toMatch(/^Topic \d$/);
    expect(panel(panels, "cluster-summary")?.empty).toMatch(/group_clusters\.parquet/);
  });

  test("recomputes only when an input changed", async () => {
    const first = await service.panels(3);
    expect((await service.panels(4)).computedAt).toBe(first.computedAt);
    const rsvps = join(lake, "3nf", "rsvps.parquet");
    utimesSync(rsvps, new Date(), new Date(Date.now() + 5_000));
    expect((await service.panels(5)).computedAt).toBe(5);
  });

  test("reads the ML stage's clusters and dendrogram when they exist", async () => {
    mkdirSync(join(lake, "ml"), { recursive: true });
    const sql = `copy (select range as group_id, range % 2 as cluster from range(3)) to '${join(lake, "ml", "group_clusters.parquet")}'`;
    expect(spawnSync(DUCKDB_CLI, ["-c", sql]).status).toBe(0);
    const dendrogram = {
      labels: ["a", "b", "c"],
      linkage: [
        [0, 1, 0.2, 2],
        [2, 3, 0.7, 3],
      ],
    };
    writeFileSync(join(lake, "ml", "dendrogram.json"), JSON.stringify(dendrogram));
    const panels = await service.panels(6);
    const clusters = panel(panels, "cluster-summary")!;
    expect(clusters.columns).toEqual(["cluster", "groups", "top_topics"]);
    expect(clusters.rows.map((row) => row[1]).sort()).toEqual(["1", "2"]);
    expect(panels.dendrogram?.labels).toEqual(["a", "b", "c"]);
  });

  test("ignores a malformed dendrogram instead of failing the panels", async () => {
    writeFileSync(
      join(lake, "ml", "dendrogram.json"),
      JSON.stringify({ labels: ["a", "b"], linkage: [[0, 1, "x", 2]] }),
    );
    utimesSync(join(lake, "ml", "dendrogram.json"), new Date(), new Date(Date.now() + 10_000));
    const panels = await service.panels(7);
    expect(panels.dendrogram).toBeNull();
    expect(panel(panels, "top-members")?.rows).toHaveLength(5);
  });
});

describe("dendrogramLines()", () => {
  test("places leaves in tree order and joins each pair at its distance", () => {
    const { x, y, leaves } = dendrogramLines({
      asOf: 0,
      labels: ["a", "b", "c"],
      linkage: [
        [0, 2, 0.2, 2],
        [1, 3, 0.7, 3],
      ],
    });
    expect(leaves).toEqual([1, 0, 2]);
    // First link: a (x=15) and c (x=25) joined at 0.2; second: b (x=5) and that pair (x=20) at 0.7.
    expect(x.slice(0, 5)).toEqual([15, 15, 25, 25, null]);
    expect(y.slice(0, 5)).toEqual([0, 0.2, 0.2, 0, null]);
    expect(x.slice(5)).toEqual([5, 5, 20, 20, null]);
    expect(y.slice(5)).toEqual([0, 0.7, 0.7, 0.2, null]);
  });
});
