import { openText, sealText } from '../crypto/sealing.js';
import type { Sealed } from './kinds.js';
import { PermanentJobError } from './service.js';

/**
 * A job payload that carries personal data (an address, a login, a code) waits in the jobs table sealed
 * under the server's job-payload key, bound to its job's kind and id: copied onto another job row, it
 * does not open.
 */
export function sealJobPayload<T>(key: Buffer, kind: string, jobId: string, value: T): Sealed<T> {
  return { sealed: sealText(key, JSON.stringify(value), `${kind}:${jobId}`) };
}

/** Opens what sealJobPayload sealed; a payload that is missing, altered or moved fails for good. */
export function openJobPayload<T>(key: Buffer, kind: string, jobId: string, payload: Sealed<T>): T {
  const sealed: unknown = payload?.sealed;
  if (typeof sealed !== 'string') throw new PermanentJobError(`${kind} job without a sealed payload`);
  try {
    return JSON.parse(openText(key, sealed, `${kind}:${jobId}`)) as T;
  } catch {
    // Altered, moved from another job, or sealed under another key: no later try can open it.
    throw new PermanentJobError(`${kind} payload does not open with this server key`);
  }
}
