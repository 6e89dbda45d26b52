/**
 * Kafka wiring on kafkajs: a client built from the project's config and topics created with
 * explicit partitions.
 *
 * @module
 */
export * from "./client.ts";
export * from "./topics.ts";
