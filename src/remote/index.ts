/**
 * The shared remote cache (docs/architecture.md#remote-cache): results on any S3-compatible
 * bucket, looked up before paying and uploaded after. A run context opens it through
 * {@link RemotePool}.
 */
export { RemotePool } from './pool.js';
