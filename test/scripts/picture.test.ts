/** predict's pictures: sizes checked before decoding, PNG data that inflates past its size refused, large photos averaged down. */
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { test } from "node:test";
import fc from "fast-check";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { jpegSize, readPicture, shrink, WORKING_PIXELS } from "../../scripts/cli/picture.ts";
import { UserError } from "../../scripts/cli/exit.ts";

/** A PNG of the given header with `raw` as its (deflated) image data. */
function pngWith(width: number, height: number, raw: Uint8Array, interlace = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    data.copy(out, 8);
    return out; // CRC left 0: the size check comes before pngjs looks at it
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  ihdr[12] = interlace;
  return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const refused = (bytes: Buffer, message: RegExp) => assert.throws(() => readPicture("p.png", bytes), (e: unknown) => e instanceof UserError && message.test(e.message));

test("a PNG whose data inflates past what its header needs is refused before pngjs decodes it (interlaced too)", () => {
  refused(pngWith(100, 100, new Uint8Array(50 * 2 ** 20)), /p\.png: its image data inflates to more than its 100×100 pixels need/);
  refused(pngWith(100, 100, new Uint8Array(50 * 2 ** 20), 1), /inflates to more than its 100×100 pixels need/);
});

test("a side longer than 20,000 pixels or more than 40 megapixels is refused by the header alone", () => {
  refused(pngWith(1, 40_000_000, new Uint8Array(10)), /1×40000000 pixels has a side longer than the 20000 predict reads/);
  refused(pngWith(8000, 8000, new Uint8Array(10)), /8000×8000 pixels is more than the 40 million predict reads/);
});

test("a JPEG's size is read from its frame header, and a large one is refused before decoding", () => {
  const small = jpeg.encode({ data: Buffer.alloc(4 * 37 * 21, 200), width: 37, height: 21 }, 80).data;
  assert.deepEqual(jpegSize(small), { width: 37, height: 21 });
  const head = Buffer.from(small);
  // Rewrite the frame header's size to 30000×2 (the data no longer matches: nothing may try to decode it).
  const sof = head.indexOf(Buffer.from([0xff, 0xc0]));
  head.writeUInt16BE(2, sof + 5);
  head.writeUInt16BE(30000, sof + 7);
  assert.throws(() => readPicture("big.jpg", head), (e: unknown) => e instanceof UserError && /30000×2 pixels has a side longer/.test(e.message));
});

test("shrink averages whole blocks, leaves small pictures alone, and keeps a large one under the working size", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }), (w, h, pixels) => {
    const rgba = Uint8Array.from({ length: 4 * w * h }, (_, i) => (i * 37) % 256);
    const img = { width: w, height: h, rgba };
    const out = shrink(img, pixels);
    if (w * h <= pixels) return assert.equal(out, img);
    const f = Math.ceil(Math.sqrt((w * h) / pixels));
    assert.ok(out.width * out.height <= pixels);
    assert.deepEqual([out.width, out.height], [Math.floor(w / f), Math.floor(h / f)]);
    // Pixel (0, 0), channel 0: the mean of the f×f block.
    let sum = 0;
    for (let y = 0; y < f; y++) for (let x = 0; x < f; x++) sum += rgba[4 * (y * w + x)];
    if (out.width > 0 && out.height > 0) assert.equal(out.rgba[0], Math.round(sum / (f * f)));
  }), { numRuns: 100 });
  const png = new PNG({ width: 2000, height: 1500 });
  png.data.fill(255);
  const read = readPicture("photo.png", PNG.sync.write(png));
  assert.ok(read.width * read.height <= WORKING_PIXELS);
});
