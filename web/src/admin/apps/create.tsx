import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Card, styles, usePageTitle } from '@shared/ui';
import { AdminLink } from '../shell/links';
import { AppForm } from './form';
import { SecretOnce } from './SecretOnce';

/** Registers an app; a web app's client secret shows here once. */
export default function CreateAppPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.apps.new'));
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (fields: Parameters<Parameters<typeof AppForm>[0]['onSubmit']>[0]) => {
      const { disabled: _ignored, logoUri, ...body } = fields;
      return ok(
        await api.POST('/v1/admin/apps', {
          body: {
            ...body,
            ...(logoUri ? { logoUri } : {}),
            scopes: [...new Set(['openid' as const, ...body.scopes])],
          },
        }),
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'apps'] }),
  });

  return (
    <>
      <p>
        <AdminLink to="/apps">{t('admin.apps.back')}</AdminLink>
      </p>
      <h1>{t('admin.apps.new')}</h1>
      {create.data ? (
        <Card title={t('admin.apps.created', { name: create.data.name })}>
          <dl className={styles.dl}>
            <dt>{t('admin.apps.clientId')}</dt>
            <dd>{create.data.clientId}</dd>
          </dl>
          {create.data.clientSecret ? (
            <SecretOnce label={t('admin.apps.clientSecret')} secret={create.data.clientSecret} />
          ) : (
            <p>{t('admin.apps.publicClient')}</p>
          )}
          <p>
            <AdminLink to="/apps/$clientId" params={{ clientId: create.data.clientId }}>
              {t('admin.apps.openApp', { name: create.data.name })}
            </AdminLink>
          </p>
        </Card>
      ) : (
        <Card>
          {create.isError && <Alert>{errorText(create.error)}</Alert>}
          <AppForm
            initial={{
              name: '',
              type: 'web',
              redirectUris: [],
              postLogoutRedirectUris: [],
              scopes: ['openid', 'profile', 'email'],
              firstParty: false,
              disabled: false,
              logoUri: null,
            }}
            editing={false}
            error={create.error}
            pending={create.isPending}
            submitLabel={t('admin.apps.register')}
            onSubmit={(fields) => create.mutate(fields)}
          />
        </Card>
      )}
    </>
  );
}
