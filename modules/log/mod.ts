/**
 * Structured JSON-line logging shared by every process.
 *
 * @module
 */
export * from "./log.ts";
