import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { apiHref } from '@shared/api/href';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import css from './cloud.module.css';
import { type Item, usePhotoTotal } from './items';

const originalOf = (id: string) => apiHref('/v1/cloud/{collection}/{itemId}', { collection: 'photos', itemId: id });

/**
 * One photo large, with its details, previous and next (also the arrow keys), download and delete. Its own
 * chunk: the gallery's first screen does not wait for the dialog's code.
 */
export default function Viewer({
  items,
  more,
  index,
  onMove,
  onNearEnd,
  onClose,
}: {
  items: Item[];
  /** Whether pages of the list remain unread. */
  more: boolean;
  index: number;
  onMove: (index: number) => void;
  /** Asks for the next page of the list, so that "next" never stops at the end of what was read. */
  onNearEnd: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const item = items[index]!;
  const [confirming, setConfirming] = useState<string>();
  const remove = useMutation({
    mutationFn: async (id: string) => {
      await api.DELETE('/v1/cloud/{collection}/{itemId}', { params: { path: { collection: 'photos', itemId: id } } });
    },
    onSuccess: async () => {
      onClose();
      // The summary and the gallery both change.
      await queryClient.invalidateQueries({ queryKey: ['cloud'] });
    },
  });
  const hasPrevious = index > 0;
  const hasNext = index < items.length - 1;
  const total = usePhotoTotal(items.length, more);
  useEffect(() => {
    if (index >= items.length - 10) onNearEnd();
  }, [index, items.length, onNearEnd]);
  // Which photo this browser could not draw (HEIC, say): the next one gets its own chance.
  const [brokenId, setBrokenId] = useState<string>();
  const broken = brokenId === item.id;
  // Left and right arrows move through the photos while the viewer is open, as in any gallery (the
  // dialog holds the focus, so the keys are heard where they arrive: the document).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'ArrowLeft' && hasPrevious) onMove(index - 1);
      else if (event.key === 'ArrowRight' && hasNext) onMove(index + 1);
      else return;
      event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [index, hasPrevious, hasNext, onMove]);

  return (
    <ModalOverlay isOpen isDismissable onOpenChange={(isOpen) => !isOpen && onClose()} className={css.overlay}>
      <Modal className={css.viewer}>
        <Dialog className={css.dialog} aria-label={t('cloud.viewerTitle', { name: item.id })}>
          <div className={styles.row}>
            <Heading slot="title" level={2} className={css.viewerHeading}>
              {item.id}
            </Heading>
            <Button variant="secondary" onPress={onClose}>
              {t('cloud.close')}
            </Button>
          </div>
          <figure className={css.figure}>
            {broken ? (
              <p className={styles.muted}>{t('cloud.cannotShow')}</p>
            ) : (
              <img
                className={css.large}
                src={originalOf(item.id)}
                alt={t('cloud.photoLabel', { name: item.id, date: format.date(item.updatedAt) })}
                onError={() => setBrokenId(item.id)}
              />
            )}
            <figcaption>
              <dl className={styles.dl}>
                <dt>{t('cloud.details.updated')}</dt>
                <dd>{format.date(item.updatedAt)}</dd>
                <dt>{t('cloud.details.size')}</dt>
                <dd>{format.bytes(item.size ?? 0)}</dd>
                <dt>{t('cloud.details.type')}</dt>
                <dd>{item.contentType ?? '—'}</dd>
                <dt>{t('cloud.details.version')}</dt>
                <dd>{format.number(item.version)}</dd>
              </dl>
            </figcaption>
          </figure>
          <p className={styles.description} aria-live="polite">
            {t('cloud.position', { n: format.number(index + 1), count: format.number(total ?? items.length) })}
          </p>
          <div className={styles.actions}>
            <Button variant="secondary" isDisabled={!hasPrevious} onPress={() => onMove(index - 1)}>
              {t('cloud.previous')}
            </Button>
            <Button variant="secondary" isDisabled={!hasNext} onPress={() => onMove(index + 1)}>
              {t('cloud.next')}
            </Button>
            <a className={css.download} href={originalOf(item.id)} download>
              {t('cloud.download')}
            </a>
            {confirming !== item.id && (
              <Button
                variant="danger"
                onPress={() => {
                  remove.reset();
                  setConfirming(item.id);
                }}
              >
                {t('cloud.delete')}
              </Button>
            )}
          </div>
          {confirming === item.id && (
            <div className={css.confirm}>
              <p>{t('cloud.deleteConfirmText', { name: item.id })}</p>
              {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
              {remove.isPending && (
                <p className={styles.muted} role="status">
                  {t('cloud.deleting')}
                </p>
              )}
              <div className={styles.actions}>
                <Button variant="danger" autoFocus isDisabled={remove.isPending} onPress={() => remove.mutate(item.id)}>
                  {t('cloud.deleteConfirm', { name: item.id })}
                </Button>
                <Button variant="secondary" onPress={() => setConfirming(undefined)}>
                  {t('apps.cancel')}
                </Button>
              </div>
            </div>
          )}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
