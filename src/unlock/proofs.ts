import { sniffImage } from '../cloud/sniff.js';

/** The kinds of file a proof may be, as told by its first bytes (never by the client's Content-Type). */
export const PROOF_FILE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
export type ProofFileType = (typeof PROOF_FILE_TYPES)[number];

/** At most this many bytes a proof file (a receipt's photo or an invoice's PDF fits easily); larger is a 413. */
export const MAX_PROOF_BYTES = 10 * 1024 * 1024;
/** At most this many files a request. */
export const MAX_PROOFS = 5;

/** What the bytes are: a JPEG, PNG or WebP image, or a PDF; undefined when none of them. */
export function sniffProof(head: Buffer): ProofFileType | undefined {
  // A PDF starts with "%PDF-" (readers allow junk before it, which we do not).
  if (head.length >= 5 && head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  const image = sniffImage(head);
  return image === 'image/jpeg' || image === 'image/png' || image === 'image/webp' ? image : undefined;
}
