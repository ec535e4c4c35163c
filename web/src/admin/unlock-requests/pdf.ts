// pdf.js, loaded only by the PDF proof viewer (a dynamic import), so that no other page carries it.
// Its worker is one of our hashed assets, so the console's CSP (worker-src 'self') admits it.
import { GlobalWorkerOptions, getDocument, type PDFDocumentProxy, VerbosityLevel } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

/**
 * Opens a PDF from its bytes, for drawing on canvases only: no annotation layer, hence no form or
 * script of the document runs (pdf.js 6 has no eval code path left: the old `isEvalSupported` option
 * is gone), no WebAssembly (the CSP has no 'wasm-unsafe-eval'), no fetching by the worker.
 */
export function openPdf(data: ArrayBuffer): { promise: Promise<PDFDocumentProxy>; destroy(): Promise<void> } {
  return getDocument({
    data,
    enableXfa: false,
    useWasm: false,
    useWorkerFetch: false,
    stopAtErrors: false,
    verbosity: VerbosityLevel.ERRORS,
  });
}
