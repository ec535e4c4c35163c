import type { PDFDocumentProxy } from 'pdfjs-dist';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert, Button, styles } from '@shared/ui';
import ucss from './unlock.module.css';

/** The widest a page is drawn, in CSS pixels (narrower when its box is). */
const MAX_WIDTH = 800;

/**
 * A PDF proof drawn page by page on a canvas by pdf.js (loaded on first use), with previous/next
 * buttons when it has more than one page. Chromium's own viewer does not run in a sandboxed frame.
 */
export function PdfProof({ href, name }: { href: string; name: string }) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const buttons = useRef<HTMLDivElement>(null);
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [failed, setFailed] = useState(false);
  const [page, setPage] = useState(1);
  const [drawn, setDrawn] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let destroy: (() => Promise<void>) | undefined;
    (async () => {
      const [{ openPdf }, response] = await Promise.all([import('./pdf'), fetch(href, { credentials: 'same-origin' })]);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = await response.arrayBuffer();
      if (cancelled) return;
      const task = openPdf(bytes);
      destroy = () => task.destroy();
      const opened = await task.promise;
      if (!cancelled) setDoc(opened);
    })().catch(() => {
      if (!cancelled) setFailed(true);
    });
    return () => {
      cancelled = true;
      void destroy?.();
    };
  }, [href]);

  useEffect(() => {
    const target = canvas.current;
    if (!doc || !target) return;
    let cancelled = false;
    let cancel: (() => void) | undefined;
    (async () => {
      const proxy = await doc.getPage(page);
      if (cancelled) return;
      const natural = proxy.getViewport({ scale: 1 });
      const width = Math.min(MAX_WIDTH, target.parentElement?.clientWidth || MAX_WIDTH);
      const ratio = window.devicePixelRatio || 1;
      const viewport = proxy.getViewport({ scale: (width / natural.width) * ratio });
      target.width = Math.floor(viewport.width);
      target.height = Math.floor(viewport.height);
      target.style.width = `${Math.floor(viewport.width / ratio)}px`;
      const task = proxy.render({ canvas: target, viewport });
      cancel = () => task.cancel();
      await task.promise;
      if (!cancelled) setDrawn(page);
    })().catch(() => {
      if (!cancelled) setFailed(true);
    });
    return () => {
      cancelled = true;
      cancel?.();
    };
  }, [doc, page]);

  // The button pressed is disabled on the first or last page: the focus moves to the other one, not to the page's body.
  const turn = (to: number) => {
    setPage(to);
    requestAnimationFrame(() => {
      if (buttons.current && !buttons.current.contains(document.activeElement)) {
        buttons.current.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
      }
    });
  };

  if (failed) return <Alert tone="warning">{t('admin.unlock.pdf.failed')}</Alert>;
  const count = doc?.numPages ?? 0;
  return (
    <div className={ucss.pdf}>
      {!doc && <p role="status">{t('admin.unlock.pdf.loading')}</p>}
      <div className={ucss.pdfPage}>
        <canvas
          ref={canvas}
          className={ucss.pdfCanvas}
          role="img"
          aria-label={t('admin.unlock.pdf.page', { page, count, name })}
          data-drawn={drawn === page ? 'true' : undefined}
          hidden={!doc}
        />
      </div>
      {count > 1 && (
        <div className={styles.actions} ref={buttons}>
          <Button variant="secondary" onPress={() => turn(page - 1)} isDisabled={page <= 1}>
            {t('admin.unlock.pdf.previous')}
          </Button>
          <p aria-live="polite" className={ucss.pdfCount}>
            {t('admin.unlock.pdf.of', { page, count })}
          </p>
          <Button variant="secondary" onPress={() => turn(page + 1)} isDisabled={page >= count}>
            {t('admin.unlock.pdf.next')}
          </Button>
        </div>
      )}
    </div>
  );
}
