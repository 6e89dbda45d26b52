/**
 * Helpers for integration tests: start the project's real services through the same script
 * users run, and name test resources so that parallel runs never collide.
 *
 * @module
 */
export * from "./services.ts";
