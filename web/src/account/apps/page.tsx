import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { useState } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';
import { i18next, useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import css from './apps.module.css';

type AppGrant = components['schemas']['AppGrant'];

/** A scope in plain words; one the portal does not know yet is shown as it is named. */
function useScopeText() {
  const { t } = useTranslation();
  return (scope: string) => {
    // i18next reads "." and ":" as separators: the catalogue's keys spell them "_".
    const key = `apps.scopes.${scope.replace(/[.:]/g, '_')}`;
    return i18next.exists(key) ? t(key) : scope;
  };
}

function AppsPage() {
  const { t } = useTranslation();
  usePageTitle(t('apps.title'));
  const errorText = useErrorText();
  const format = useFormat();
  const scopeText = useScopeText();
  const queryClient = useQueryClient();
  const apps = useQuery({ queryKey: ['apps'], queryFn: async () => ok(await api.GET('/v1/apps')) });
  const [confirming, setConfirming] = useState<AppGrant>();
  const [revoked, setRevoked] = useState<string>();
  const revoke = useMutation({
    mutationFn: async (app: AppGrant) => {
      await api.DELETE('/v1/apps/{clientId}', { params: { path: { clientId: app.clientId } } });
      return app;
    },
    onSuccess: async (app) => {
      setConfirming(undefined);
      setRevoked(app.name);
      await queryClient.invalidateQueries({ queryKey: ['apps'] });
    },
  });

  return (
    <>
      <h1>{t('apps.title')}</h1>
      <p>{t('apps.intro')}</p>
      {revoked && <Alert tone="ok">{t('apps.revoked', { name: revoked })}</Alert>}
      <Card>
        {apps.isError && <Alert>{errorText(apps.error)}</Alert>}
        {apps.isPending && (
          <p className={styles.muted} role="status">
            {t('shell.loading')}
          </p>
        )}
        {apps.data && apps.data.apps.length === 0 && <p className={styles.muted}>{t('apps.none')}</p>}
        {apps.data && apps.data.apps.length > 0 && (
          <ul className={styles.list}>
            {apps.data.apps.map((app) => (
              <li key={app.clientId} className={css.app}>
                <h2>{app.name}</h2>
                <span className={styles.description}>
                  {t('apps.since', { when: format.date(app.grantedAt) })} ·{' '}
                  {app.lastUsedAt ? t('apps.lastUsed', { when: format.date(app.lastUsedAt) }) : t('apps.neverUsed')}
                </span>
                <span>{t('apps.mayAccess')}</span>
                <ul className={css.scopes}>
                  {app.scopes.map((scope) => (
                    <li key={scope}>{scopeText(scope)}</li>
                  ))}
                </ul>
                <div className={styles.actions}>
                  <Button
                    variant="danger"
                    aria-label={t('apps.revokeNamed', { name: app.name })}
                    onPress={() => {
                      revoke.reset();
                      setConfirming(app);
                    }}
                  >
                    {t('apps.revoke')}
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <ModalOverlay
        isOpen={confirming !== undefined}
        onOpenChange={(open) => !open && setConfirming(undefined)}
        isDismissable
        className={css.overlay}
      >
        <Modal className={css.modal}>
          <Dialog role="alertdialog" className={css.dialog}>
            {confirming && (
              <>
                <Heading slot="title" level={2}>
                  {t('apps.confirmTitle', { name: confirming.name })}
                </Heading>
                <p>{t('apps.confirmText', { name: confirming.name })}</p>
                {revoke.isError && <Alert>{errorText(revoke.error)}</Alert>}
                {revoke.isPending && (
                  <p className={styles.muted} role="status">
                    {t('apps.revoking')}
                  </p>
                )}
                <div className={styles.actions}>
                  <Button variant="danger" isDisabled={revoke.isPending} onPress={() => revoke.mutate(confirming)}>
                    {t('apps.confirm')}
                  </Button>
                  <Button variant="secondary" autoFocus onPress={() => setConfirming(undefined)}>
                    {t('apps.cancel')}
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </>
  );
}

export const Route = createLazyRoute('/apps')({ component: AppsPage });
