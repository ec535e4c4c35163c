import { useMutation, useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Label, ProgressBar } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, askForReauth, ok } from '@shared/api/client';
import { apiHref } from '@shared/api/href';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles } from '@shared/ui';
import css from './cloud.module.css';

// The export being made or ready, for this tab only: an id is no secret (it needs the session), but
// nothing about it needs to outlive the tab either.
const STORAGE_KEY = 'lanyard.export';

/** Download my data: ask for a zip of everything in the cloud, watch it being made, download it. */
export function Export() {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const format = useFormat();
  const [id, setId] = useState<string | undefined>(() => globalThis.sessionStorage?.getItem(STORAGE_KEY) ?? undefined);
  const link = useRef<HTMLAnchorElement>(null);
  const remember = (value: string) => {
    globalThis.sessionStorage?.setItem(STORAGE_KEY, value);
    setId(value);
  };

  const start = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/me/export')),
    onSuccess: (made) => remember(made.id),
  });
  const current = useQuery({
    queryKey: ['export', id],
    enabled: id !== undefined,
    queryFn: async () => ok(await api.GET('/v1/me/export/{id}', { params: { path: { id: id! } } })),
    // Asked again while it is being made, so that the page moves on by itself when it is ready.
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 1500 : false),
  });
  // The download needs a fresh session, and a link cannot answer the password prompt: confirm first, then follow it.
  const download = useMutation({
    mutationFn: async () => {
      const session = ok(await api.GET('/v1/session'));
      if (!session.fresh || Date.parse(session.freshUntil) - Date.now() < 60_000) {
        if (!(await askForReauth())) return;
      }
      link.current?.click();
    },
  });

  const made = current.data;
  const canStart = !made || made.status === 'failed' || made.status === 'expired';
  return (
    <Card title={t('cloud.export.title')}>
      <p>{t('cloud.export.intro')}</p>
      {start.isError && <Alert>{errorText(start.error)}</Alert>}
      {current.isError && <Alert>{errorText(current.error)}</Alert>}
      {download.isError && <Alert>{errorText(download.error)}</Alert>}
      {made?.status === 'pending' && (
        <ProgressBar isIndeterminate className={css.progress}>
          <Label className={styles.description}>{t('cloud.export.making')}</Label>
          <div className={css.progressTrack}>
            <div className={css.progressFill} />
          </div>
        </ProgressBar>
      )}
      {made?.status === 'failed' && <Alert>{t('cloud.export.failed')}</Alert>}
      {made?.status === 'expired' && <Alert tone="warning">{t('cloud.export.expired')}</Alert>}
      {made?.status === 'ready' && (
        <div className={styles.form}>
          <Alert tone="ok">
            {t('cloud.export.ready', { size: format.bytes(made.size ?? 0), until: format.date(made.expiresAt) })}
          </Alert>
          <div className={styles.actions}>
            <Button isDisabled={download.isPending} onPress={() => download.mutate()}>
              {t('cloud.export.download')}
            </Button>
          </div>
          {/* Followed by the button above once the session is fresh; hidden, so out of the keyboard and readers. */}
          <a ref={link} href={apiHref('/v1/me/export/{id}/download', { id: made.id })} download hidden>
            zip
          </a>
        </div>
      )}
      {canStart && (
        <div className={styles.actions}>
          <Button variant={made ? 'secondary' : 'primary'} isDisabled={start.isPending} onPress={() => start.mutate()}>
            {start.isPending ? t('cloud.export.starting') : t('cloud.export.start')}
          </Button>
        </div>
      )}
    </Card>
  );
}
