import { SyntheticRsvps } from "./synthetic.ts";

/** Rows buffered before each write to the file. */
const WRITE_BATCH_RECORDS = 10_000;

/**
 * Writes `count` synthetic RSVPs as JSONL to `path` (for benchmarks and tests), reporting
 * progress every 10%.
 */
export async function writeSynthetic(
  path: string,
  count: number,
  seed: number,
  progress: (written: number) => void = () => {},
): Promise<number> {
  const generator = new SyntheticRsvps({ seed });
  const writer = Bun.file(path).writer();
  let bytes = 0;
  const step = Math.max(WRITE_BATCH_RECORDS, Math.ceil(count / 10));
  let lines: string[] = [];
  for (let written = 0; written < count; written++) {
    lines.push(generator.next().text);
    if (lines.length === WRITE_BATCH_RECORDS || written === count - 1) {
      const chunk = `${lines.join("\n")}\n`;
      bytes += Buffer.byteLength(chunk);
      writer.write(chunk);
      lines = [];
      await writer.flush();
    }
    if ((written + 1) % step === 0) progress(written + 1);
  }
  await writer.end();
  return bytes;
}
