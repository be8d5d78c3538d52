/** Bytes as base64 text and back, for formats that carry bytes in text (a link's hash, a JSON file). */

/** Bytes as a binary string, in chunks: spreading a large array into one call overflows the stack. */
function binaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return out;
}

/** `bytes` as base64; `url` uses the URL-safe alphabet without padding (RFC 4648 §5). */
export function toBase64(bytes: Uint8Array, url = false): string {
  const text = btoa(binaryString(bytes));
  return url ? text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : text;
}

/** The bytes of base64 text (either alphabet); throws a DOMException when it is not base64. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
