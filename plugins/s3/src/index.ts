import { definePlugin } from '@sluice/core';
import { s3Sink } from './s3-sink-definition.js';

export { S3Sink, type S3SinkConfig } from './s3-sink.js';
export { s3Sink } from './s3-sink-definition.js';
export { toSluiceError } from './s3-errors.js';
export { uploadStagedObject, type UploadOptions } from './object-uploader.js';

export default definePlugin({ name: '@sluice/plugin-s3', core: '^0.1.0', components: [s3Sink] });
