/**
 * PostgreSQL access through the `postgres` client.
 *
 * @module
 */
export * from "./client.ts";
