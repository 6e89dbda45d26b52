/**
 * Kafka's default partitioner for keyed messages, as the Java client (and kafkajs's
 * `DefaultPartitioner`) computes it: `toPositive(murmur2(key)) % partitions`. Ingest assigns
 * partitions itself because kafkajs's murmur2 goes through a 64-bit Long emulation and cost
 * about a sixth of the producer's CPU; the result must stay identical, so that every client
 * puts a group's RSVPs on the same partition.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's `Utils.murmur2(byte[])`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= (data[length4 + 2] as number) << 16;
  if (rest >= 2) h ^= (data[length4 + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[length4] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition of a keyed message among `partitions`.
 *
 * @throws {RangeError} When `partitions` is not a positive integer.
 */
export function partitionOf(key: Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(
      `Cannot choose a partition as 'partitions' must be a positive integer: current value is ${partitions}`,
    );
  }
  return (murmur2(key) & 0x7fffffff) % partitions;
}
