import { open, readFile } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { toSluiceError } from './s3-errors.js';

/** Upload settings of {@link uploadStagedObject}. */
export interface UploadOptions {
  bucket: string;
  key: string;
  /** The local staging file holding the complete object. */
  file: string;
  size: number;
  /** Objects larger than this go up as multipart uploads. */
  multipartThreshold: number;
  /** Multipart part size (at least 5 MiB, S3's minimum for all but the last part). */
  partSize: number;
  contentType: string;
}

/**
 * Uploads one staged object: a single PutObject up to `multipartThreshold`, otherwise a
 * multipart upload whose parts are read from the file one at a time (bounded memory). Either
 * way the object becomes visible atomically and only when complete; a failed multipart upload is
 * aborted so no parts linger. Throws the SluiceError of {@link toSluiceError}.
 */
export async function uploadStagedObject(client: S3Client, o: UploadOptions): Promise<void> {
  const common = { Bucket: o.bucket, Key: o.key, ContentType: o.contentType };
  if (o.size <= o.multipartThreshold) {
    const body = await readFile(o.file);
    try {
      await client.send(new PutObjectCommand({ ...common, Body: body, ContentLength: body.length }));
    } catch (error) {
      throw toSluiceError(error, `PutObject s3://${o.bucket}/${o.key}`);
    }
    return;
  }
  let uploadId: string | undefined;
  const handle = await open(o.file, 'r');
  try {
    uploadId = (await client.send(new CreateMultipartUploadCommand(common))).UploadId;
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    const buffer = Buffer.allocUnsafe(o.partSize);
    for (let offset = 0, part = 1; offset < o.size; part++) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(o.partSize, o.size - offset), offset);
      if (bytesRead === 0) break;
      const body = buffer.subarray(0, bytesRead);
      const answer = await client.send(new UploadPartCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId, PartNumber: part, Body: body, ContentLength: bytesRead }));
      parts.push({ PartNumber: part, ETag: answer.ETag });
      offset += bytesRead;
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId })).catch(() => undefined);
    throw toSluiceError(error, `multipart upload of s3://${o.bucket}/${o.key}`);
  } finally {
    await handle.close();
  }
}
