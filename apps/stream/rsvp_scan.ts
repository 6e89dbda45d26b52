/**
 * The stream's native fast path over raw RSVPs (`native/rsvp_scan.c`), loaded through bun:ffi.
 *
 * The C source is built once per version into `.cache/native/` with the machine's `gcc -O2`
 * (about 0.3 s; `make setup` does it ahead); without gcc, Bun's built-in TinyCC compiles the
 * same source in memory at start-up (slower code, same answers).
 */

import { cc, dlopen, FFIType, type Pointer } from "bun:ffi";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../../modules/config/mod.ts";

const SOURCE = join(import.meta.dir, "native", "rsvp_scan.c");

const SYMBOLS = {
  rsvp_scan: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  rsvp_cache_new: { args: [FFIType.i32], returns: FFIType.ptr },
  rsvp_cache_clear: { args: [FFIType.ptr], returns: FFIType.void },
  rsvp_cache_free: { args: [FFIType.ptr], returns: FFIType.void },
  rsvp_cache_put: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32],
    returns: FFIType.i32,
  },
} as const;

/** What {@linkcode RsvpScanner.scan} found. */
export const SCAN = {
  /** Not sure it is an RSVP, or of an unusual shape: take the exact path. */
  unknown: -1,
  /** An RSVP whose event, group and venue bytes are not cached: `put` them after the exact path. */
  newKey: 0,
  /** An RSVP whose profile is cached: `out[3]`. */
  cached: 1,
} as const;

/**
 * One native scanner with its cache of profile keys (an event's tokens, its group's and venue's
 * bytes), for one thread. `out` holds the last scan's rsvp_id, mtime, yes (1 or 0) and profile
 * index.
 */
export interface RsvpScanner {
  readonly compiler: Compiler;
  readonly out: Float64Array;
  scan(bytes: Uint8Array): number;
  /** Stores the key of the record last scanned as `newKey` (these `bytes`) under `profile`. */
  put(bytes: Uint8Array, profile: number): boolean;
  clear(): void;
  /** Frees the native cache now; `scan` then always says `unknown`. */
  close(): void;
}

/** gcc's flags for the shared object. */
const GCC_FLAGS = ["-O2", "-shared", "-fPIC"];

/** Where the shared object lives, named by the hash of the source, flags and platform. */
function sharedObjectPath(): string {
  const hash = createHash("sha256")
    .update(readFileSync(SOURCE))
    .update(`${GCC_FLAGS.join(" ")} ${process.platform} ${process.arch}`)
    .digest("hex")
    .slice(0, 16);
  return join(PROJECT_ROOT, ".cache", "native", `rsvp_scan-${hash}.so`);
}

/** Builds the shared object with gcc unless it exists; the error when gcc is missing or fails. */
export function buildSharedObject(): { path: string } | { error: string } {
  const path = sharedObjectPath();
  if (existsSync(path)) return { path };
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    return { error: `cannot create ${dirname(path)}: ${(error as Error).message}` };
  }
  // Built under a unique name and renamed, so threads starting together never load half a file.
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const result = spawnSync("gcc", [...GCC_FLAGS, "-o", partial, SOURCE], { encoding: "utf8" });
  if (result.error !== undefined) return { error: `gcc: ${result.error.message}` };
  if (result.status !== 0) return { error: `gcc: ${result.stderr.trim()}` };
  try {
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    return { error: `cannot rename ${partial}: ${(error as Error).message}` };
  }
  return { path };
}

/** Which compiler built the library: gcc (a shared object in `.cache/native/`) or TinyCC. */
export type Compiler = "gcc" | "tinycc";
type Library = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
interface Loaded {
  symbols: Library;
  compiler: Compiler;
  /** Why gcc's build was not used. */
  why?: string;
}
const libraries = new Map<Compiler | "default", Loaded>();

/**
 * How the stream's native library is built on this machine (it is built now if need be), for
 * the start-up log: `gcc`, or `tinycc` and why gcc's build was not used.
 */
export function nativeBuild(): { compiler: Compiler; why?: string } {
  const { compiler, why } = load();
  return why === undefined ? { compiler } : { compiler, why };
}

/** The library: gcc's build when gcc works, else TinyCC's (or the one asked for, in tests). */
function load(want?: Compiler): Loaded {
  const known = libraries.get(want ?? "default");
  if (known !== undefined) return known;
  const built = want === "tinycc" ? { error: "TinyCC asked for" } : buildSharedObject();
  let why = "error" in built ? built.error : undefined;
  let library: Loaded | undefined;
  if ("path" in built) {
    try {
      library = { symbols: dlopen(built.path, SYMBOLS).symbols, compiler: "gcc" };
    } catch (error) {
      // A shared object this machine cannot load (a noexec mount, say): TinyCC then.
      why = `dlopen ${built.path}: ${(error as Error).message}`;
    }
  }
  if (want === "gcc" && library === undefined) throw new Error(why);
  library ??= {
    symbols: cc({ source: SOURCE, symbols: SYMBOLS }).symbols as Library,
    compiler: "tinycc",
    ...(why === undefined ? {} : { why }),
  };
  libraries.set(want ?? "default", library);
  return library;
}

/** Native caches are freed by `close()`, or when their scanner is collected unclosed. */
const caches = new FinalizationRegistry<{ cache: Pointer; free: (cache: Pointer) => void }>(
  ({ cache, free }) => free(cache),
);

/** A scanner whose cache holds up to `entries` keys (the library loads on first use). */
export function rsvpScanner(entries: number, compiler?: Compiler): RsvpScanner {
  const { symbols, compiler: built } = load(compiler);
  const cache = symbols.rsvp_cache_new(entries) as Pointer | null;
  if (cache === null) throw new Error(`Cannot allocate a native RSVP cache of ${entries} keys`);
  const out = new Float64Array(4);
  // Every method holds `state`, the object the finalizer watches: the cache is freed only when
  // neither the scanner nor any of its methods can be reached, or by `close()`.
  const state = { open: true };
  const closed = () => new Error("The native RSVP scanner is closed");
  const scanner: RsvpScanner = {
    compiler: built,
    out,
    scan: (bytes) =>
      state.open ? symbols.rsvp_scan(cache, bytes, bytes.length, out) : SCAN.unknown,
    put: (bytes, profile) =>
      state.open && symbols.rsvp_cache_put(cache, bytes, bytes.length, profile) >= 0,
    clear: () => {
      if (!state.open) throw closed();
      symbols.rsvp_cache_clear(cache);
    },
    close: () => {
      if (!state.open) return;
      state.open = false;
      caches.unregister(state);
      symbols.rsvp_cache_free(cache);
    },
  };
  caches.register(state, { cache, free: (c) => symbols.rsvp_cache_free(c) }, state);
  return scanner;
}
