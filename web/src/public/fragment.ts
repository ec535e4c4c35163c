/**
 * A secret carried in the address's fragment (`#token=…`): the browser never sends the fragment to a
 * server, so it stays out of access logs, proxies and Referer headers, unlike a query string.
 */
export function tokenFromHash(hash: string): string | undefined {
  const value = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return value ? value : undefined;
}
