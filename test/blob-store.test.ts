import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, type BlobStore } from '../src/platform/storage/blob-store.js';
import { createDiskStore } from '../src/platform/storage/disk-store.js';
import { createS3Store } from '../src/platform/storage/s3-store.js';
import { startS3 } from './helpers/s3.js';
import { tempDir } from './helpers/temp-dir.js';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** A body that yields some bytes and then fails, as an upload cut off by a size or type check. */
function failingBody(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(64 * 1024, 'a');
      throw new Error('cut off');
    })(),
  );
}

// The store is not per-database: run it once (in the sqlite project) to keep the suite short.
const run = process.env.SIGHTLINE_TEST_DB === 'postgres' ? describe.skip : describe;

run.each(['disk', 's3'] as const)('blob store (%s)', (kind) => {
  let store: BlobStore & { close?(): void };
  let stop: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    if (kind === 'disk') {
      dir = tempDir('sightline-blobs');
      store = createDiskStore(dir);
      stop = async () => undefined;
    } else {
      const s3 = await startS3();
      store = await createS3Store({
        bucket: s3.bucket,
        prefix: 'p/',
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      stop = async () => {
        store.close?.();
        await s3.stop();
      };
    }
  });
  afterAll(() => stop());

  it('writes a buffer or a stream and reads it back; remove forgets it', async () => {
    await store.write('files/t1/a', Buffer.from('hello'));
    expect(await text(await store.read('files/t1/a'))).toBe('hello');
    // Larger than one multipart part (8 MB) on S3.
    const big = Readable.from(
      (async function* () {
        for (let i = 0; i < 20; i++) yield Buffer.alloc(512 * 1024, 97 + (i % 26));
      })(),
    );
    await store.write('files/t1/b', big);
    const back = await text(await store.read('files/t1/b'));
    expect(back.length).toBe(20 * 512 * 1024);
    expect(back.slice(-1)).toBe(String.fromCharCode(97 + 19));
    await store.remove('files/t1/a');
    await expect(store.read('files/t1/a')).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.remove('files/t1/never-there');
  });

  it('a body that fails leaves nothing under its key', async () => {
    await expect(store.write('files/t1/broken', failingBody())).rejects.toThrow();
    await expect(store.read('files/t1/broken')).rejects.toBeInstanceOf(BlobNotFoundError);
    if (kind === 'disk') expect(await readdir(join(dir, 'files', 't1'))).not.toContain('broken.partial');
  });

  it.runIf(kind === 'disk')('refuses a key that would escape its directory', async () => {
    await expect(store.write('../outside', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });
});
