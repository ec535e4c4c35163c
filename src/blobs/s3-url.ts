// Kept apart from the S3 store so that configuration can check the URL without loading the AWS SDK.

/** Where and how to reach an S3-compatible bucket, as LANYARD_S3_URL names it. */
export interface S3Location {
  /** `https://host:port` or `http://host:port`; undefined means AWS's own endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * Parses `s3://ACCESS:SECRET@host[:port]/bucket[/prefix]?region=R&forcePathStyle=true` (HTTPS), or
 * `s3+http://…` for plain HTTP (a local MinIO). The host `s3.amazonaws.com` means AWS itself. Without
 * `ACCESS:SECRET` the SDK's default chain (environment, instance role) supplies the credentials.
 * Throws an Error whose message says what is wrong.
 */
export function parseS3Url(raw: string): S3Location {
  const url = new URL(raw);
  if (url.protocol !== 's3:' && url.protocol !== 's3+http:')
    throw new Error('LANYARD_S3_URL must start with s3:// or s3+http://');
  if (!url.hostname) throw new Error('LANYARD_S3_URL needs a host (s3.amazonaws.com for AWS)');
  const [bucket, ...rest] = url.pathname.replace(/^\/+/, '').split('/');
  if (!bucket) throw new Error('LANYARD_S3_URL needs a bucket: s3://…@host/BUCKET');
  const prefix = rest.filter(Boolean).join('/');
  const known = new Set(['region', 'forcePathStyle']);
  for (const name of url.searchParams.keys())
    if (!known.has(name))
      throw new Error(`LANYARD_S3_URL has an unknown parameter "${name}" (known: region, forcePathStyle)`);
  const forcePathStyle = url.searchParams.get('forcePathStyle');
  if (forcePathStyle !== null && !['true', 'false'].includes(forcePathStyle))
    throw new Error('LANYARD_S3_URL forcePathStyle must be true or false');
  const aws = url.hostname === 's3.amazonaws.com';
  if (url.username && !url.password) throw new Error('LANYARD_S3_URL has an access key without a secret');
  return {
    endpoint: aws ? undefined : `${url.protocol === 's3+http:' ? 'http' : 'https'}://${url.host}`,
    region: url.searchParams.get('region') || 'us-east-1',
    bucket,
    prefix: prefix ? `${prefix}/` : '',
    // Path style by default off AWS: MinIO and most self-hosted servers have no per-bucket DNS names.
    forcePathStyle: forcePathStyle === null ? !aws : forcePathStyle === 'true',
    credentials: url.username
      ? { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) }
      : undefined,
  };
}
