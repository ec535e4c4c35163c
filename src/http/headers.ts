import { createHash } from 'node:crypto';

/** The CSP source that allows one inline script or style by the SHA-256 of its exact text. */
export function cspHash(inline: string): string {
  return `sha256-${createHash('sha256').update(inline, 'utf8').digest('base64')}`;
}

/**
 * A Content-Disposition value for a download: the file name reduced to safe ASCII for old clients
 * (no quotes, slashes, control characters or leading dots) and given in full as RFC 5987 UTF-8.
 */
export function attachment(fileName: string): string {
  const ascii =
    fileName
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._ -]/g, '_')
      .replace(/^[.\s]+/, '_')
      .slice(0, 150) || 'download';
  const encoded = encodeURIComponent(fileName.slice(0, 150)).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
