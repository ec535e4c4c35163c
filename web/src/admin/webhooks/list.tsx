import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, Checkbox, TextField, styles, usePageTitle } from '@shared/ui';
import { SecretOnce } from '../apps/SecretOnce';
import css from '../admin.module.css';
import { AdminLink, useAdminSearch } from '../shell/links';
import { CheckboxList, TableWrap } from '../shell/fields';

type WebhookEvent = components['schemas']['Webhook']['events'][number];
const EVENTS: readonly WebhookEvent[] = ['account.deleted'];

function Register() {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([...EVENTS]);
  const create = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/v1/admin/webhooks', { body: { url: url.trim(), events: events as WebhookEvent[] } })),
    onSuccess: async () => {
      setUrl('');
      await queryClient.invalidateQueries({ queryKey: ['admin', 'webhooks'] });
    },
  });
  const badUrl = create.error instanceof ApiError && create.error.code === 'validation_failed';
  return (
    <Card title={t('admin.webhooks.new')}>
      {create.isError && <Alert>{badUrl ? t('admin.webhooks.badUrl') : errorText(create.error)}</Alert>}
      {create.data && (
        <>
          <Alert tone="ok">{t('admin.webhooks.created', { url: create.data.url })}</Alert>
          <SecretOnce label={t('admin.webhooks.secret')} secret={create.data.secret} />
        </>
      )}
      <Form
        className={styles.form}
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <TextField
          label={t('admin.webhooks.url')}
          description={t('admin.webhooks.urlHint')}
          name="url"
          type="url"
          isRequired
          value={url}
          onChange={(value) => {
            setUrl(value);
            create.reset();
          }}
        />
        <CheckboxList label={t('admin.webhooks.events')} value={events} onChange={setEvents}>
          {EVENTS.map((event) => (
            <Checkbox key={event} value={event}>
              {event}
            </Checkbox>
          ))}
        </CheckboxList>
        <div className={styles.actions}>
          <Button type="submit" isDisabled={create.isPending || events.length === 0}>
            {t('admin.webhooks.register')}
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/** The endpoints that receive account events, registering one, and removing one. */
export default function WebhooksPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.webhooks.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const search = useAdminSearch<{ deleted?: string }>();
  const webhooks = useQuery({
    queryKey: ['admin', 'webhooks'],
    queryFn: async () => ok(await api.GET('/v1/admin/webhooks')).webhooks,
  });

  return (
    <>
      <h1>{t('admin.webhooks.title')}</h1>
      {search.deleted && <Alert tone="ok">{t('admin.webhooks.deleted', { url: search.deleted })}</Alert>}
      <Card title={t('admin.webhooks.endpoints')}>
        {webhooks.isError && <Alert>{errorText(webhooks.error)}</Alert>}
        {webhooks.isPending && <p role="status">{t('shell.loading')}</p>}
        {webhooks.data && webhooks.data.length === 0 && <p>{t('admin.webhooks.none')}</p>}
        {webhooks.data && webhooks.data.length > 0 && (
          <TableWrap label={t('admin.webhooks.endpoints')}>
            <table className={css.table}>
              <thead>
                <tr>
                  <th scope="col">{t('admin.webhooks.url')}</th>
                  <th scope="col">{t('admin.webhooks.events')}</th>
                  <th scope="col">{t('admin.webhooks.createdAt')}</th>
                </tr>
              </thead>
              <tbody>
                {webhooks.data.map((hook) => (
                  <tr key={hook.id}>
                    <td>
                      <AdminLink to="/webhooks/$id" params={{ id: hook.id }}>
                        {hook.url}
                      </AdminLink>
                    </td>
                    <td>{hook.events.join(', ')}</td>
                    <td>{format.date(hook.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
      <Register />
    </>
  );
}
