/**
 * Counters, gauges and latency quantiles, rendered as Prometheus text for `/metrics`.
 *
 * @module
 */
export * from "./quantiles.ts";
export * from "./registry.ts";
