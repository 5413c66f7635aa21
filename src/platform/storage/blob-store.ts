import type { Readable } from 'node:stream';

/**
 * Where file contents live: a directory under DATA_DIR (embedded, one node) or an S3-compatible
 * bucket (any number of API nodes). Keys are `files/<tenant>/<id>`; the store knows nothing else.
 */
export interface BlobStore {
  readonly kind: 'disk' | 's3';
  /** Writes the whole body under the key; rejects (and leaves nothing) when the body errors. */
  write(key: string, body: Readable | Buffer, contentType?: string): Promise<void>;
  /** The content as a stream; rejects with a `not_found`-coded error when the key is absent. */
  read(key: string): Promise<Readable>;
  /** Removes the key (absent is fine). */
  remove(key: string): Promise<void>;
}

export class BlobNotFoundError extends Error {
  readonly code = 'blob_not_found';
  constructor(key: string) {
    super(`No stored content under ${key}`);
  }
}
