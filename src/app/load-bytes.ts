/**
 * Bytes of a model file with progress, read in chunks from a stream (a dropped File, or a fetch
 * response) so that a 20–90 MB file neither freezes the page nor arrives without a word.
 */
import { InputError } from '../errors.js';

/** Called after each chunk: bytes so far, and the total when it is known. */
export type ByteProgress = (loaded: number, total: number | null) => void;

/** Largest file the page reads (an ArrayBuffer's practical ceiling in browsers). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Reads `stream` to its end; `total` (when known) is bounded before anything is allocated. */
export async function readStream(stream: ReadableStream<Uint8Array>, total: number | null, what: string, onProgress: ByteProgress): Promise<Uint8Array> {
  if (total !== null && total > MAX_FILE_BYTES) throw new InputError('too-large', `${what} is ${(total / 2 ** 20).toFixed(0)} MB, more than the ${MAX_FILE_BYTES / 2 ** 20} MB a browser page can hold in one buffer`);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    if (loaded > MAX_FILE_BYTES || (total !== null && loaded > total)) {
      await reader.cancel();
      throw new InputError('too-large', `${what} is longer than ${total !== null ? `the ${total} bytes it announced` : `${MAX_FILE_BYTES} bytes`}`);
    }
    chunks.push(value);
    onProgress(loaded, total);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A File's bytes, with progress. */
export function fileBytes(file: File, onProgress: ByteProgress): Promise<Uint8Array> {
  return readStream(file.stream(), file.size, file.name, onProgress);
}

/** A URL's bytes, with progress when the server sends a Content-Length. */
export async function urlBytes(url: string, onProgress: ByteProgress): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok || !r.body) throw new InputError('http', `${url}: HTTP ${r.status} ${r.statusText}`.trim());
  const length = Number(r.headers.get('content-length'));
  return readStream(r.body, Number.isFinite(length) && length > 0 ? length : null, url, onProgress);
}

/** A URL's JSON. */
export async function urlJson(url: string): Promise<unknown> {
  const r = await fetch(url);
  if (!r.ok) throw new InputError('http', `${url}: HTTP ${r.status} ${r.statusText}`.trim());
  return r.json();
}
