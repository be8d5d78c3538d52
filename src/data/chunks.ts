/** Byte chunks as a stream delivers them (a download, an inflating gzip), joined. */

/** The chunks as one array of `length` bytes (the one chunk itself when there is only one). */
export function concatChunks(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
