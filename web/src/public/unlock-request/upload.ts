import { ApiError, type Problem } from '@shared/api/client';
import type { paths } from '@shared/api/schema';

// The generated openapi-fetch client cannot tell how far an upload went: fetch reports no upload
// progress. This one call goes through XMLHttpRequest instead, typed by the same document: its path, its
// parameters and its answer come from paths[…], so a change of the API still fails the build here.

const PROOFS_PATH = '/v1/unlock-requests/{id}/proofs' satisfies keyof paths;
type ProofsOperation = paths[typeof PROOFS_PATH]['post'];
export type ProofFiles = ProofsOperation['responses'][201]['content']['application/json'];
type ProofParams = ProofsOperation['parameters'];

/** The types a proof file may be (the server checks the bytes; this only spares a useless upload). */
export const PROOF_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
export const MAX_PROOF_BYTES = 10 * 1024 * 1024;
export const MAX_PROOFS = 5;

/**
 * Uploads one proof file to its request, with the status token in its header (never in the address),
 * calling `onProgress` with the fraction sent (0 to 1) as the bytes leave. Rejects with ApiError, as the
 * client does, so that pages translate the problem by its code.
 */
export function uploadProof(
  params: { path: ProofParams['path']; header: ProofParams['header'] },
  file: File,
  onProgress: (fraction: number) => void,
): Promise<ProofFiles> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', PROOFS_PATH.replace('{id}', encodeURIComponent(params.path.id)));
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('x-status-token', params.header['x-status-token']);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(body as ProofFiles);
        return;
      }
      const problem = (body ?? {}) as Partial<Problem>;
      reject(
        new ApiError({
          ...problem,
          status: xhr.status,
          code: problem.code ?? (xhr.status >= 500 ? 'server_error' : 'unknown'),
        }),
      );
    });
    xhr.addEventListener('error', () => reject(new ApiError({ status: 0, code: 'unknown' })));
    xhr.send(file);
  });
}
