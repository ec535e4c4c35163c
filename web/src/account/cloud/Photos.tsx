import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import {
  Collection,
  GridLayout,
  GridList,
  GridListItem,
  GridListLoadMoreItem,
  Size,
  Virtualizer,
} from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { apiHref } from '@shared/api/href';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, styles } from '@shared/ui';
import css from './cloud.module.css';
import { type Item, useCloudSummary, useCollection, usePhotoTotal } from './items';

const loadViewer = () => import('./Viewer');
const Viewer = lazy(loadViewer);

const thumbnailOf = (id: string) =>
  apiHref('/v1/cloud/{collection}/{itemId}/thumbnail', { collection: 'photos', itemId: id });

// Laid out by a virtualizer: only the rows on screen (and a few around) are in the document, so a library
// of 10,000 photos scrolls like one of 10, and each thumbnail is asked for when its cell first shows.
const layoutOptions = {
  minItemSize: new Size(104, 104),
  maxItemSize: new Size(180, 180),
  minSpace: new Size(8, 8),
  preserveAspectRatio: true,
  loaderHeight: 48,
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

/**
 * "10,000 photos", or that it is loading. Its own component: when the summary arrives, only this line is
 * drawn again, not the grid. Should the summary fail, its card says so, and the gallery goes without a
 * count rather than loading for ever.
 */
function PhotoCount({ read, more, listed }: { read: number; more: boolean; listed: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const summary = useCloudSummary();
  const total = usePhotoTotal(read, more);
  if (listed && total !== undefined)
    return <p className={styles.description}>{t('cloud.photoCount', { count: total, n: format.number(total) })}</p>;
  if (listed && summary.isError) return null;
  return (
    <p className={styles.muted} role="status">
      {t('shell.loading')}
    </p>
  );
}

/**
 * The photos as a grid of thumbnails (arrow keys move, Enter opens), and the opened photo large. The list is
 * read a page at a time, the next one when the grid is scrolled near its end: with 10,000 photos, the page
 * neither waits for nor lays out what nobody has scrolled to yet. The count comes from the cloud's summary.
 */
export function Photos() {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const photos = useCollection('photos', { newest: true, onDemand: true });
  const [open, setOpen] = useState<number>();
  const items = photos.items;
  const more = photos.hasNextPage;
  const { isFetchingNextPage, fetchNextPage, isError } = photos;
  const loadMore = useCallback(() => {
    if (more && !isFetchingNextPage && !isError) void fetchNextPage();
  }, [more, isFetchingNextPage, isError, fetchNextPage]);
  const label = (item: Item) => t('cloud.photoLabel', { name: item.id, date: format.date(item.updatedAt) });
  // The viewer's code is fetched once the grid is there and the page is idle: opening a photo then waits for nothing.
  const hasItems = items.length > 0;
  useEffect(() => {
    if (!hasItems) return;
    const handle = requestIdleCallback(() => void loadViewer());
    return () => cancelIdleCallback(handle);
  }, [hasItems]);

  return (
    <>
      {photos.isError && <Alert>{errorText(photos.error)}</Alert>}
      {!photos.isError && <PhotoCount read={items.length} more={more} listed={photos.data !== undefined} />}
      {/* While the first page loads, a frame of the gallery's size holds its place: the export card below it
          stays where it is when the thumbnails come. */}
      {photos.isPending && <div className={css.galleryPlaceholder} aria-hidden="true" />}
      <Unreadable ids={photos.unreadable} />
      {photos.data && items.length === 0 && photos.unreadable.length === 0 && !more && (
        <p className={styles.muted}>{t('cloud.empty.photos')}</p>
      )}
      {/* The library is listed newest first, so the first page is the top of the grid and each later page
          only adds rows below it (nothing already drawn moves). */}
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
              className={css.gallery}
              onAction={(key) => setOpen(items.findIndex((item) => item.id === key))}
            >
              <Collection items={items}>
                {(item) => (
                  <GridListItem id={item.id} textValue={label(item)} className={css.cell}>
                    <Thumbnail item={item} label={label(item)} />
                  </GridListItem>
                )}
              </Collection>
              <GridListLoadMoreItem
                scrollOffset={0.5}
                onLoadMore={loadMore}
                isLoading={isFetchingNextPage}
                className={css.loadMore}
              >
                <span className={styles.muted} role="status">
                  {t('cloud.loadingMore', { count: items.length })}
                </span>
              </GridListLoadMoreItem>
            </GridList>
          </Virtualizer>
        </>
      )}
      {open !== undefined && items[open] && (
        <Suspense
          fallback={
            <p className={styles.muted} role="status">
              {t('shell.loading')}
            </p>
          }
        >
          <Viewer
            items={items}
            more={more}
            index={open}
            onMove={setOpen}
            onNearEnd={loadMore}
            onClose={() => setOpen(undefined)}
          />
        </Suspense>
      )}
    </>
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
