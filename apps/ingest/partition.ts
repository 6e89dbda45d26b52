/**
 * Kafka's default partitioner for keyed messages, as the Java client (and kafkajs's
 * `DefaultPartitioner`) computes it: `toPositive(murmur2(key)) % partitions`. Ingest assigns
 * partitions itself: the pump bounds each partition's bytes in a request, so it must know them
 * before sending, and the producer's own partitioner would not do. `@platformatic/kafka`'s
 * default one takes `murmur2(key) >>> 0` instead of Java's `& 0x7fffffff`: with 6 partitions
 * half the keys (those with a negative hash) land elsewhere than Java clients put them. (And
 * kafkajs's murmur2, when it produced here, cost a sixth of its CPU.) The result must stay
 * identical, so that every client puts a group's RSVPs on the same partition.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Java's `Utils.murmur2(byte[])`, as a signed 32-bit integer.
 *
 * @param length How many leading bytes of `data` are the key (default: all of them).
 */
export function murmur2(data: Uint8Array, length: number = data.length): number {
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

function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(
      `Cannot choose a partition as 'partitions' must be a positive integer: current value is ${partitions}`,
    );
  }
}

/**
 * The partition of a keyed message among `partitions`.
 *
 * @throws {RangeError} When `partitions` is not a positive integer.
 */
export function partitionOf(key: Uint8Array, partitions: number): number {
  checkPartitions(partitions);
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Keys up to this many UTF-8 bytes are hashed without allocating (a group id has ~10). */
const SCRATCH_BYTES = 256;
const scratch = Buffer.alloc(SCRATCH_BYTES);

/**
 * The partition of a message whose key is `key` encoded as UTF-8: the same as
 * `partitionOf(Buffer.from(key), partitions)`, without a buffer per call (one per RSVP).
 *
 * @throws {RangeError} When `partitions` is not a positive integer.
 */
export function partitionOfText(key: string, partitions: number): number {
  checkPartitions(partitions);
  // At most 3 UTF-8 bytes per UTF-16 unit, so a short key always fits the scratch buffer.
  if (key.length * 3 > SCRATCH_BYTES) return partitionOf(Buffer.from(key, "utf8"), partitions);
  const length = scratch.write(key, 0, "utf8");
  return (murmur2(scratch, length) & 0x7fffffff) % partitions;
}
