/**
 * Reads a body of at most `maxBytes`, chunk by chunk, and stops reading (cancelling the stream)
 * as soon as it is longer: a 100 MB body costs us `maxBytes` plus one chunk, never 100 MB.
 * A declared Content-Length above the limit is refused before a byte is read. Returns null when
 * the body is too large; an empty or absent body is an empty array.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await body?.cancel().catch(() => {});
    return null;
  }
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
