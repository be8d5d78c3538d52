import { concatChunks } from './chunks';
import { DatasetError } from './errors';

/**
 * Fetching a data file from the app's own origin with progress, for the page and its worker.
 * The body is read as it streams so a progress bar can move; the bytes are returned as served
 * (the caller decompresses: the site serves its .gz files with no Content-Encoding).
 */

/** How far one file's download has got. totalBytes is undefined when the server sent no length. */
export interface DownloadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | undefined;
}

/** Options for a download. */
export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** The fetch to use; by default the global one (tests pass their own). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Downloads one file, reporting progress as bytes arrive. Throws DatasetError naming the file and URL. */
export async function download(
  url: string,
  file: string,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchFn(url, { signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new DatasetError(file, `could not be downloaded from ${url} (${errorText(e)})`, { cause: e });
  }
  if (!response.ok) {
    throw new DatasetError(
      file,
      `could not be downloaded from ${url}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  // A dev server or a single-page-app host answers a missing file with its index.html and 200.
  if (response.headers.get('Content-Type')?.startsWith('text/html')) {
    throw new DatasetError(file, `is not on the server at ${url} (it answered with an HTML page)`);
  }
  // With a Content-Encoding, Content-Length counts the encoded bytes, not the ones the body yields.
  const length = response.headers.get('Content-Encoding') ? null : response.headers.get('Content-Length');
  const total = length === null ? undefined : Number(length);
  const report = (loadedBytes: number, totalBytes = total) =>
    options.onProgress?.({ file, loadedBytes, totalBytes });
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());

  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0);
  const reader = response.body.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      loaded += r.value.length;
      report(loaded);
    }
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new DatasetError(file, `download from ${url} broke off after ${loaded} bytes (${errorText(e)})`, {
      cause: e,
    });
  }
  report(loaded, loaded);
  return concatChunks(chunks, loaded);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
