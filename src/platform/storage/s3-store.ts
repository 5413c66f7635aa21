import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { BlobNotFoundError, type BlobStore } from './blob-store.js';

export interface S3Settings {
  bucket: string;
  /** Key prefix inside the bucket (e.g. `sightline/`), empty for none. */
  prefix: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, R2, …); undefined for AWS. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** Static credentials; undefined to use the SDK's default chain (env, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * Blobs in an S3-compatible bucket. Writes stream through a multipart upload (nothing is held in
 * memory whole); a body that errors aborts the upload, leaving no object. The SDK is loaded only
 * when S3 is configured.
 */
export async function createS3Store(settings: S3Settings): Promise<BlobStore & { close(): void }> {
  const s3 = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client: S3Client = new s3.S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
  const Bucket = settings.bucket;
  const keyOf = (key: string) => `${settings.prefix}${key}`;
  return {
    kind: 's3',
    async write(key, body, contentType) {
      const upload = new Upload({
        client,
        params: { Bucket, Key: keyOf(key), Body: body, ...(contentType ? { ContentType: contentType } : {}) },
        queueSize: 2,
        partSize: 8 * 1024 * 1024,
        leavePartsOnError: false,
      });
      if (!Buffer.isBuffer(body)) {
        // lib-storage stops reading a stream that errors but does not always reject: make it.
        body.once('error', () => void upload.abort().catch(() => undefined));
      }
      await upload.done();
    },
    async read(key) {
      try {
        const out = await client.send(new s3.GetObjectCommand({ Bucket, Key: keyOf(key) }));
        if (out.Body instanceof Readable) return out.Body;
        throw new Error(`S3 returned no stream for ${key}`);
      } catch (error) {
        if (error instanceof s3.NoSuchKey || (error as { name?: string }).name === 'NotFound')
          throw new BlobNotFoundError(key);
        throw error;
      }
    },
    async remove(key) {
      await client.send(new s3.DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    close() {
      client.destroy();
    },
  };
}
