import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import { AdminLink, useAdminNavigate, useAdminParams } from '../shell/links';
import { type App, AppForm, AppLogo } from './form';
import { SecretOnce } from './SecretOnce';

function Secret({ app }: { app: App }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const rotate = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/v1/admin/apps/{clientId}/secret', { params: { path: { clientId: app.clientId } } })),
  });
  if (app.type !== 'web')
    return (
      <Card title={t('admin.apps.clientSecret')}>
        <p>{t('admin.apps.publicClient')}</p>
      </Card>
    );
  return (
    <Card title={t('admin.apps.clientSecret')}>
      {rotate.isError && <Alert>{errorText(rotate.error)}</Alert>}
      {rotate.data ? (
        <SecretOnce label={t('admin.apps.newSecret')} secret={rotate.data.clientSecret} />
      ) : (
        <p>{t('admin.apps.rotateHint')}</p>
      )}
      <div className={styles.actions}>
        <Button variant="secondary" onPress={() => rotate.mutate()} isDisabled={rotate.isPending}>
          {t('admin.apps.rotate')}
        </Button>
      </div>
    </Card>
  );
}

function Delete({ app }: { app: App }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const navigate = useAdminNavigate();
  const queryClient = useQueryClient();
  const [asked, setAsked] = useState(false);
  const remove = useMutation({
    mutationFn: async () =>
      ok(await api.DELETE('/v1/admin/apps/{clientId}', { params: { path: { clientId: app.clientId } } })),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['admin', 'app', app.clientId] });
      await queryClient.invalidateQueries({ queryKey: ['admin', 'apps'] });
      await navigate({ to: '/apps', search: { deleted: app.name } });
    },
  });
  return (
    <Card title={t('admin.apps.delete')}>
      {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
      <p>{t('admin.apps.deleteHint', { count: app.accounts ?? 0 })}</p>
      <div className={styles.actions}>
        {asked ? (
          <>
            <Button variant="danger" onPress={() => remove.mutate()} isDisabled={remove.isPending} autoFocus>
              {t('admin.apps.deleteForGood', { name: app.name })}
            </Button>
            <Button variant="secondary" onPress={() => setAsked(false)}>
              {t('admin.cancel')}
            </Button>
          </>
        ) : (
          <Button variant="danger" onPress={() => setAsked(true)}>
            {t('admin.apps.delete')}
          </Button>
        )}
      </div>
    </Card>
  );
}

/** One app: its settings (edited in place), its secret (rotated, shown once), and deleting it. */
export default function AppPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const { clientId } = useAdminParams<{ clientId: string }>();
  const app = useQuery({
    queryKey: ['admin', 'app', clientId],
    queryFn: async () => ok(await api.GET('/v1/admin/apps/{clientId}', { params: { path: { clientId } } })),
  });
  usePageTitle(app.data?.name ?? t('admin.apps.title'));
  const save = useMutation({
    mutationFn: async (fields: Parameters<Parameters<typeof AppForm>[0]['onSubmit']>[0]) => {
      const { type: _fixed, ...body } = fields;
      return ok(
        await api.PATCH('/v1/admin/apps/{clientId}', {
          params: { path: { clientId } },
          body: { ...body, scopes: [...new Set(['openid' as const, ...body.scopes])] },
        }),
      );
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(['admin', 'app', clientId], saved);
      void queryClient.invalidateQueries({ queryKey: ['admin', 'apps'] });
    },
  });

  return (
    <>
      <p>
        <AdminLink to="/apps">{t('admin.apps.back')}</AdminLink>
      </p>
      {app.isError && <Alert>{errorText(app.error)}</Alert>}
      {app.isPending && <p role="status">{t('shell.loading')}</p>}
      {app.data && (
        <>
          <h1>
            {app.data.logoUri && (
              <>
                <AppLogo src={app.data.logoUri} />{' '}
              </>
            )}
            {app.data.name}
          </h1>
          <Card title={t('admin.apps.about')}>
            <dl className={styles.dl}>
              <dt>{t('admin.apps.clientId')}</dt>
              <dd>{app.data.clientId}</dd>
              <dt>{t('admin.apps.accounts')}</dt>
              <dd>{format.number(app.data.accounts ?? 0)}</dd>
              <dt>{t('admin.apps.lastUsed')}</dt>
              <dd>{app.data.lastUsedAt ? format.date(app.data.lastUsedAt) : t('admin.apps.never')}</dd>
              <dt>{t('admin.apps.createdAt')}</dt>
              <dd>{format.date(app.data.createdAt)}</dd>
            </dl>
          </Card>
          <Card title={t('admin.apps.settings')}>
            {save.isError && <Alert>{errorText(save.error)}</Alert>}
            {save.isSuccess && <Alert tone="ok">{t('admin.apps.saved')}</Alert>}
            <AppForm
              key={app.data.clientId}
              initial={app.data}
              editing
              error={save.error}
              pending={save.isPending}
              submitLabel={t('admin.apps.save')}
              onSubmit={(fields) => save.mutate(fields)}
            />
          </Card>
          <Secret app={app.data} />
          <Delete app={app.data} />
        </>
      )}
    </>
  );
}
