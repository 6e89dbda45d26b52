/**
 * End to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no
 * browser download): the whole live path runs as the user runs it, each stage its own process
 * on unique topics and groups of the real Kafka broker:
 *
 *   apps/replay (recorded RSVPs) -> apps/ingest -> raw topic -> apps/stream -> stats topic
 *   -> apps/dashboard -> SSE -> the page
 *   raw topic -> apps/archive -> local lake -> apps/etl (once) -> 3NF Parquet -> batch panels
 *
 * The page must show live points in the uPlot chart, bars in the top-events chart and markers on
 * the map, load nothing from outside the dashboard, and work at laptop and phone widths;
 * screenshots go to data/reports/ (REPORTS_DIR).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { kafkaConfig, PROJECT_ROOT, pathsConfig } from "../../modules/config/mod.ts";
import { createKafka } from "../../modules/kafka/mod.ts";
import { createLogger } from "../../modules/log/mod.ts";
import { servicesUp, uniqueName } from "../../modules/testing/mod.ts";
import type { LiveSnapshot } from "./live_state.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

const prefix = uniqueName("test.dashboard-e2e");
const streamGroup = uniqueName("test-dashboard-e2e-stream");
const archiveGroup = uniqueName("test-dashboard-e2e-archive");
const topics = {
  TOPIC_RAW: `${prefix}.raw`,
  TOPIC_DLQ: `${prefix}.dlq`,
  TOPIC_STATS: `${prefix}.stats`,
  TOPIC_STREAM_PARTIALS: `${prefix}.partials`,
};
const log = createLogger("dashboard-e2e", { level: "error" });
const processes: ChildProcess[] = [];
let root: string;
let dashboardUrl: string;
let browser: Browser;

function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** Starts `apps/<app>/main.ts` with extra environment; its stderr goes to a log file. */
function startApp(app: string, env: Record<string, string>): ChildProcess {
  const logFile = createWriteStream(join(root, `${app}.log`));
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "apps", app, "main.ts")], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...topics, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  processes.push(child);
  return child;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await Bun.sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Complete objects in the lake's raw area (names starting with "." or "_" are in progress). */
function archivedObjects(rawDir: string): number {
  if (!existsSync(rawDir)) return 0;
  const complete = (path: string) => !/(^|\/)[._][^/]*$|\.tmp$/.test(path);
  return [...new Bun.Glob("**/*").scanSync({ cwd: rawDir })].filter(complete).length;
}

/** The page's live figures, read from uPlot's data and Plotly's graph divs. */
function liveCounts(page: Page) {
  return page.evaluate(() => {
    const trends = (
      globalThis as { meetupTrends?: { chart?: { pointCount: number; following: boolean } } }
    ).meetupTrends;
    // Drawn SVG elements, not only the data handed to Plotly: the map draws once its local
    // topojson has loaded.
    const drawn = (selector: string) => document.querySelectorAll(selector).length;
    return {
      livePoints: trends?.chart?.pointCount ?? 0,
      topEventBars: drawn("#chart-top-events .barlayer .point"),
      mapMarkers: drawn("#chart-map .scattergeo .point"),
      mapLand: drawn("#chart-map .geo .layer.land path, #chart-map .geo .layer.countries path"),
      topicBars: drawn("#chart-topics .barlayer .point"),
      connection: document.getElementById("connection-text")?.textContent ?? "",
      following: trends?.chart?.following ?? true,
    };
  });
}

/** Waits until the element's text matches `pattern`. */
async function waitText(
  page: Page,
  selector: string,
  pattern: RegExp,
  timeout = 30_000,
): Promise<void> {
  await page.waitForFunction(
    ([query, source, flags]) =>
      new RegExp(source ?? "", flags).test(document.querySelector(query ?? "")?.textContent ?? ""),
    [selector, pattern.source, pattern.flags],
    { timeout },
  );
}

interface OpenedPage {
  page: Page;
  outside: string[];
  errors: string[];
  close(): Promise<void>;
}

/** A page at `viewport` that refuses (and records) every request outside the dashboard. */
async function openPage(viewport: { width: number; height: number }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const outside: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(dashboardUrl) || url.startsWith("data:") || url.startsWith("blob:"))
      return route.continue();
    outside.push(url);
    return route.abort();
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(dashboardUrl);
  return { page, outside, errors, close: () => context.close() };
}

beforeAll(async () => {
  servicesUp("kafka");
  root = mkdtempSync(join(tmpdir(), "dashboard-e2e-"));
  const lake = join(root, "lake");
  const replayPort = freePort();
  const ingestMetricsPort = freePort();
  const dashboardPort = freePort();
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  // The recorded RSVPs, faster than real time so a few seconds fill the charts.
  startApp("replay", { REPLAY_PORT: String(replayPort), REPLAY_RATE: "40" });
  startApp("ingest", {
    RSVP_STREAM_URL: `ws://127.0.0.1:${replayPort}/2/rsvps`,
    INGEST_METRICS_PORT: String(ingestMetricsPort),
  });
  startApp("stream", { STREAM_GROUP: streamGroup, STREAM_START: "earliest" });
  startApp("archive", { ARCHIVE_GROUP: archiveGroup, LAKE_DIR: lake, ARCHIVE_FLUSH_SECONDS: "1" });
  startApp("dashboard", {
    DASHBOARD_PORT: String(dashboardPort),
    LAKE_DIR: lake,
    DASHBOARD_HEALTH_SECONDS: "2",
    DASHBOARD_BATCH_SECONDS: "1",
    DASHBOARD_LAG_GROUPS: `${streamGroup},${streamGroup}-merge,${archiveGroup}`,
    DASHBOARD_SCRAPE: `ingest=http://127.0.0.1:${ingestMetricsPort}/metrics`,
  });
  await until(
    "the dashboard to answer",
    async () => ((await fetch(`${dashboardUrl}/healthz`)).ok ? true : undefined),
    60_000,
  );
  await until(
    "stats from the stream",
    async () => {
      const state = (await (await fetch(`${dashboardUrl}/api/state`)).json()) as {
        latest: unknown;
        geo: unknown[];
      };
      return state.latest !== null && state.geo.length > 0 ? true : undefined;
    },
    90_000,
  );
  // The batch layer, once, over what the archive has written by now.
  await until(
    "the archive's first objects",
    async () => (archivedObjects(join(lake, "raw")) > 0 ? true : undefined),
    60_000,
  );
  const etl = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, "apps/etl/main.ts"), "--no-postgres"],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LAKE_DIR: lake, LOG_LEVEL: "warn" },
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  if (etl.status !== 0) throw new Error(`apps/etl failed: ${etl.stderr}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const child of processes.reverse()) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, Bun.sleep(15_000)]);
  }
  const kafka = createKafka(kafkaConfig(), { clientSuffix: "dashboard-e2e", logger: log });
  const admin = kafka.admin();
  await admin.connect();
  const created = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
  await admin
    .deleteTopics({ topics: created, timeout: 30_000 })
    .catch((error) => console.error(`could not delete test topics: ${error}`));
  await admin.deleteGroups([streamGroup, `${streamGroup}-merge`, archiveGroup]).catch(() => {});
  await admin.disconnect();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe("the page on replayed data", () => {
  test("shows live points, top-event bars and map markers, loading nothing from outside", async () => {
    const { page, outside, errors, close } = await openPage(LAPTOP);
    try {
      const counts = await until(
        "live points, bars and markers",
        async () => {
          const c = await liveCounts(page);
          return c.livePoints > 0 && c.topEventBars > 0 && c.mapMarkers > 0 && c.mapLand > 0
            ? c
            : undefined;
        },
        60_000,
      );
      expect(counts.topicBars).toBeGreaterThan(0);
      expect(counts.mapLand).toBeGreaterThan(0);
      expect(counts.connection).toStartWith("live");
      // Live means live: more points arrive while the page is open.
      await until(
        "a new live point",
        async () => ((await liveCounts(page)).livePoints > counts.livePoints ? true : undefined),
        30_000,
      );
      await waitText(page, "#panel-rate [data-ago]", /updated \d+ s ago/);
      const reports = pathsConfig().reportsDir;
      mkdirSync(reports, { recursive: true });
      await page.screenshot({ path: join(reports, "dashboard-laptop.png"), fullPage: true });
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);

  test("works at phone width", async () => {
    const { page, outside, errors, close } = await openPage(PHONE);
    try {
      await until(
        "live figures on a phone",
        async () => {
          const c = await liveCounts(page);
          const drawn = c.livePoints > 0 && c.topEventBars > 0 && c.mapMarkers > 0 && c.mapLand > 0;
          return drawn ? c : undefined;
        },
        60_000,
      );
      // Nothing wider than the screen: the page does not scroll sideways.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: join(pathsConfig().reportsDir, "dashboard-phone.png"),
        fullPage: true,
      });
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);

  test("zooming holds the view while data arrives; jump to live follows again; pause holds the charts", async () => {
    const { page, close } = await openPage(LAPTOP);
    try {
      await until(
        "live points",
        async () => ((await liveCounts(page)).livePoints > 10 ? true : undefined),
        60_000,
      );
      const over = await page.locator("#chart-rate .u-over").boundingBox();
      if (over === null) throw new Error("the uPlot chart has no plotting area");
      await page.mouse.move(over.x + over.width * 0.3, over.y + over.height / 2);
      await page.mouse.down();
      await page.mouse.move(over.x + over.width * 0.6, over.y + over.height / 2, { steps: 5 });
      await page.mouse.up();
      const xScale = () =>
        page.evaluate(() => {
          const chart = (
            globalThis as {
              meetupTrends?: {
                chart?: { plot: { scales: { x: { min?: number; max?: number } } } };
              };
            }
          ).meetupTrends?.chart;
          return [chart?.plot.scales.x.min, chart?.plot.scales.x.max];
        });
      const zoomed = await xScale();
      expect((await liveCounts(page)).following).toBe(false);
      await page.locator("[data-action=jump-live]").waitFor({ state: "visible" });
      const before = (await liveCounts(page)).livePoints;
      await until(
        "more data while zoomed",
        async () => ((await liveCounts(page)).livePoints > before ? true : undefined),
        30_000,
      );
      expect(await xScale()).toEqual(zoomed);
      await page.locator("[data-action=jump-live]").click();
      expect((await liveCounts(page)).following).toBe(true);
      await page.locator("[data-action=jump-live]").waitFor({ state: "hidden" });
      expect((await xScale())[1]).toBeGreaterThan(zoomed[1] ?? 0);
      await page.locator("#pause").click();
      await waitText(page, "#connection-text", /paused/);
      const paused = (await liveCounts(page)).livePoints;
      await page.waitForTimeout(3_000);
      expect((await liveCounts(page)).livePoints).toBe(paused);
      await page.locator("#pause").click();
      await until(
        "charts resumed",
        async () => ((await liveCounts(page)).livePoints > paused ? true : undefined),
        30_000,
      );
    } finally {
      await close();
    }
  }, 120_000);

  test("exports a chart as CSV and PNG", async () => {
    const { page, close } = await openPage(LAPTOP);
    try {
      await until(
        "bars",
        async () => ((await liveCounts(page)).topEventBars > 0 ? true : undefined),
        60_000,
      );
      const [csv] = await Promise.all([
        page.waitForEvent("download"),
        page.locator("#panel-top-events [data-export=csv]").click(),
      ]);
      const text = readFileSync((await csv.path()) ?? "", "utf8");
      expect(text.split("\r\n")[0]).toBe("event,url,yes");
      expect(text.split("\r\n").filter((line) => line !== "").length).toBeGreaterThan(1);
      const [png] = await Promise.all([
        page.waitForEvent("download"),
        page.locator("#panel-rate [data-export=png]").click(),
      ]);
      const bytes = readFileSync((await png.path()) ?? "");
      expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    } finally {
      await close();
    }
  }, 120_000);

  test("the query section answers SQL with a table and refusals with a message; health shows the stages", async () => {
    const { page, close } = await openPage(LAPTOP);
    try {
      // The batch panels show the ETL's tables of the replayed RSVPs.
      await waitText(page, "#panel-top-members [data-asof]", /^as of \d{4}-/);
      expect(await page.locator("#panel-top-members tbody tr").count()).toBeGreaterThan(0);
      await page
        .locator("#query-sql")
        .fill(
          "select member_name, count(*) as rsvps from rsvps join members using (member_id) group by all order by 2 desc, 1 limit 5",
        );
      await page.locator("#query-run").click();
      await waitText(page, "#query-status", /rows/);
      expect(await page.locator("#query-result table tbody tr").count()).toBe(5);
      expect(await page.locator("#query-status").textContent()).toMatch(/^5 rows in \d+ ms$/);
      await page.locator("#query-sql").fill("select * from read_csv('/etc/passwd')");
      await page.locator("#query-run").click();
      await waitText(page, "#query-message", /^Refused/);
      expect(await page.locator("#query-message").textContent()).not.toMatch(/root:/);
      await waitText(page, "#health-body", new RegExp(streamGroup));
      await waitText(page, "#health-body", /ingest/);
      // The stream commits a window behind its position and records the position in the
      // commit metadata: the lag table reads it from there.
      const state = (await (await fetch(`${dashboardUrl}/api/state`)).json()) as LiveSnapshot;
      const stream = state.health?.groups.find((group) => group.groupId === streamGroup);
      expect(
        stream?.partitions.some((p) => p.position !== null && p.position >= (p.committed ?? 0)),
      ).toBe(true);
    } finally {
      await close();
    }
  }, 120_000);
});
