/** Files the page hands to the user: a download link for bytes, and names fit for a file system. */

/** Saves `bytes` as a file through a temporary download link. */
export function downloadBytes(
  bytes: Uint8Array | string,
  fileName: string,
  type = 'application/octet-stream',
): void {
  // Blob wants ArrayBuffer-backed views; a copy also keeps a transferred buffer's owner out of it.
  const part = typeof bytes === 'string' ? bytes : new Uint8Array(bytes);
  const url = URL.createObjectURL(new Blob([part], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start reading the blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file-name-safe version of a run's name. */
export function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}
