import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeUtf8 } from "./_utf8.ts";

const strict = new TextDecoder("utf-8", { fatal: true });

/** The verdict and text decodeUtf8 must reproduce: a fatal TextDecoder's. */
function reference(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

describe("decodeUtf8()", () => {
  test("decodes valid UTF-8, U+FFFD and a BOM included, as a fatal decoder does", () => {
    const text = "\uFEFFMontréal \uFFFD São Paulo 東京 🎉";
    const bytes = new TextEncoder().encode(text);
    expect(decodeUtf8(bytes)).toBe(reference(bytes) as string);
    expect(decodeUtf8(bytes)).toContain("\uFFFD");
  });

  test("rejects invalid bytes: a lone continuation byte, a truncated sequence, an overlong form", () => {
    for (const bytes of [[0x80], [0x61, 0xe6, 0x9d], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]) {
      expect(decodeUtf8(new Uint8Array(bytes))).toBeUndefined();
    }
  });

  test("gives a fatal decoder's verdict and text on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeUtf8(bytes)).toBe(reference(bytes) as string);
      }),
      { numRuns: 5000 },
    );
  });

  test("gives a fatal decoder's verdict on valid text with bytes changed", () => {
    const mutated = fc
      .tuple(
        fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([text, at, byte]) => {
        const bytes = new TextEncoder().encode(text);
        bytes[at % bytes.length] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        expect(decodeUtf8(bytes)).toBe(reference(bytes) as string);
      }),
      { numRuns: 5000 },
    );
  });
});
