import type { paths } from './schema';

type GetPathParams<P extends keyof paths> = paths[P] extends { get: { parameters: { path: infer T } } } ? T : never;

/**
 * The address of a GET operation of the generated document, for what the browser itself loads (an
 * `<img>`, a download link): the path is checked against the document and the parameters against its
 * types, so that no URL is written by hand here either.
 */
export function apiHref<P extends keyof paths>(path: P, params: GetPathParams<P>): string {
  const values = params as Record<string, string | number>;
  return String(path).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));
}
