import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  Dialog,
  GridLayout,
  GridList,
  GridListItem,
  Heading,
  Modal,
  ModalOverlay,
  Size,
  Virtualizer,
} from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { apiHref } from '@shared/api/href';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import css from './cloud.module.css';
import { type Item, useCollection } from './items';

const thumbnailOf = (id: string) =>
  apiHref('/v1/cloud/{collection}/{itemId}/thumbnail', { collection: 'photos', itemId: id });
const originalOf = (id: string) => apiHref('/v1/cloud/{collection}/{itemId}', { collection: 'photos', itemId: id });

// Laid out by a virtualizer: only the rows on screen (and a few around) are in the document, so a library
// of 10,000 photos scrolls like one of 10, and each thumbnail is asked for when its cell first shows.
const layoutOptions = {
  minItemSize: new Size(104, 104),
  maxItemSize: new Size(180, 180),
  minSpace: new Size(8, 8),
  preserveAspectRatio: true,
};

function Thumbnail({ item, label }: { item: Item; label: string }) {
  const [failed, setFailed] = useState(false);
  if (!item.thumbnail || failed)
    return (
      <span className={css.noThumb} aria-hidden="true">
        {(item.contentType ?? '').replace('image/', '').toUpperCase() || '?'}
      </span>
    );
  return (
    <img
      className={css.thumb}
      src={thumbnailOf(item.id)}
      alt={label}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}

/** The photos as a grid of thumbnails (arrow keys move, Enter opens), and the opened photo large. */
export function Photos() {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const photos = useCollection('photos', { newest: true });
  const [open, setOpen] = useState<number>();
  const items = photos.items;
  const label = (item: Item) => t('cloud.photoLabel', { name: item.id, date: format.date(item.updatedAt) });

  return (
    <>
      {photos.isError && <Alert>{errorText(photos.error)}</Alert>}
      {photos.isPending && (
        <p className={styles.muted} role="status">
          {t('shell.loading')}
        </p>
      )}
      {photos.data && photos.loadingMore && (
        <p className={styles.muted} role="status">
          {t('cloud.loadingMore', { count: items.length })}
        </p>
      )}
      {photos.data && !photos.loadingMore && (
        <p className={styles.description}>
          {t('cloud.photoCount', { count: items.length, n: format.number(items.length) })}
        </p>
      )}
      <Unreadable ids={photos.unreadable} />
      {photos.data && items.length === 0 && photos.unreadable.length === 0 && !photos.loadingMore && (
        <p className={styles.muted}>{t('cloud.empty.photos')}</p>
      )}
      {/* Drawn from the first page: the library is listed newest first, so the first page is the top of the
          grid and each later page only adds rows below it (nothing already drawn moves). */}
      {items.length > 0 && (
        <>
          <p className={styles.description} id="gallery-help">
            {t('cloud.galleryHelp')}
          </p>
          <Virtualizer layout={GridLayout} layoutOptions={layoutOptions}>
            <GridList
              aria-label={t('cloud.gallery')}
              aria-describedby="gallery-help"
              layout="grid"
              items={items}
              className={css.gallery}
              onAction={(key) => setOpen(items.findIndex((item) => item.id === key))}
            >
              {(item) => (
                <GridListItem id={item.id} textValue={label(item)} className={css.cell}>
                  <Thumbnail item={item} label={label(item)} />
                </GridListItem>
              )}
            </GridList>
          </Virtualizer>
        </>
      )}
      {open !== undefined && items[open] && (
        <Viewer items={items} index={open} onMove={setOpen} onClose={() => setOpen(undefined)} />
      )}
    </>
  );
}

function Viewer({
  items,
  index,
  onMove,
  onClose,
}: {
  items: Item[];
  index: number;
  onMove: (index: number) => void;
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
            {t('cloud.position', { n: format.number(index + 1), count: format.number(items.length) })}
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

/** Items the server could not read are named, so that nobody thinks them lost without a word. */
export function Unreadable({ ids }: { ids: string[] }) {
  const { t } = useTranslation();
  if (ids.length === 0) return null;
  return (
    <Alert tone="warning">
      <p>{t('cloud.unreadable', { count: ids.length })}</p>
      <ul className={css.unreadableList}>
        {ids.map((id) => (
          <li key={id}>{id}</li>
        ))}
      </ul>
    </Alert>
  );
}
