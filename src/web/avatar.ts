import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { HEADER_IMAGE_PATH } from "../http/urls.ts";

/*
 * Generated images for Mastodon apps, which need an avatar and a header for every account and
 * cannot all show SVG: a PNG identicon per username (a mirrored 5×5 pattern in a colour drawn
 * from the name's hash) and one plain header. Made on request, cached for a day.
 */

const CELLS = 5;
const CELL_PX = 24;

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of `width` × `height` whose pixel (x, y) is `pixel(x, y)`. */
export function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The identicon of `name` (case-insensitive, like usernames). */
export function identicon(name: string): Buffer {
  const h = createHash("sha256").update(name.toLowerCase()).digest();
  const hue = (h[0]! / 255) * 360;
  const colour = hsl(hue, 0.55, 0.5);
  const background: [number, number, number] = [240, 240, 236];
  const on = (cx: number, cy: number) => {
    const col = cx < 3 ? cx : CELLS - 1 - cx; // mirrored
    return (h[1 + cy * 3 + col]! & 1) === 1;
  };
  const size = CELLS * CELL_PX;
  return png(size, size, (x, y) =>
    on(Math.floor(x / CELL_PX), Math.floor(y / CELL_PX)) ? colour : background,
  );
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

const headerImage = png(3, 1, () => [47, 125, 50]);

export function avatarRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const send = (bytes: Buffer) =>
    new Response(new Uint8Array(bytes), {
      headers: { "Content-Type": "image/png", "Cache-Control": "public, max-age=86400" },
    });
  app.get(HEADER_IMAGE_PATH, () => send(headerImage));
  app.get("/avatars/:file{[A-Za-z0-9_]{1,64}\\.png}", (c) =>
    send(identicon(c.req.param("file").slice(0, -4))),
  );
  return app;
}
