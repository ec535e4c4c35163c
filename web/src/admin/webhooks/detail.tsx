import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { SecretOnce } from '../apps/SecretOnce';
import { AdminLink, useAdminNavigate, useAdminParams } from '../shell/links';

/**
 * A new signing secret, shown once. The previous one signs beside it for a day (two signatures in each
 * delivery), so the linked service switches without losing an event.
 */
function RotateSecret({ id, previousSecretUntil }: { id: string; previousSecretUntil: string | null }) {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const rotate = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/admin/webhooks/{id}/secret', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'webhooks'] }),
  });
  const until = rotate.data?.previousSecretUntil ?? previousSecretUntil;
  return (
    <Card title={t('admin.webhooks.secret')}>
      {rotate.isError && <Alert>{errorText(rotate.error)}</Alert>}
      {rotate.data ? (
        <SecretOnce label={t('admin.webhooks.newSecret')} secret={rotate.data.secret} />
      ) : (
        <p>{t('admin.webhooks.rotateHint')}</p>
      )}
      {until && <p>{t('admin.webhooks.overlap', { when: format.date(until) })}</p>}
      <div className={styles.actions}>
        <Button variant="secondary" onPress={() => rotate.mutate()} isDisabled={rotate.isPending}>
          {t('admin.webhooks.rotate')}
        </Button>
      </div>
    </Card>
  );
}

/** One endpoint: its deliveries with their state, sending one again, and removing the endpoint. */
export default function WebhookPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.webhooks.one'));
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const navigate = useAdminNavigate();
  const { id } = useAdminParams<{ id: string }>();
  const [asked, setAsked] = useState(false);
  const webhooks = useQuery({
    queryKey: ['admin', 'webhooks'],
    queryFn: async () => ok(await api.GET('/v1/admin/webhooks')).webhooks,
  });
  const hook = webhooks.data?.find((w) => w.id === id);
  const deliveries = useQuery({
    queryKey: ['admin', 'webhook-deliveries', id],
    queryFn: async () =>
      ok(await api.GET('/v1/admin/webhooks/{id}/deliveries', { params: { path: { id } } })).deliveries,
  });
  const redeliver = useMutation({
    mutationFn: async (deliveryId: string) =>
      ok(
        await api.POST('/v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver', {
          params: { path: { id, deliveryId } },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin', 'webhook-deliveries', id] }),
  });
  const remove = useMutation({
    mutationFn: async () => ok(await api.DELETE('/v1/admin/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['admin', 'webhooks'] });
      await navigate({ to: '/webhooks', search: { deleted: hook?.url } });
    },
  });

  return (
    <>
      <p>
        <AdminLink to="/webhooks">{t('admin.webhooks.back')}</AdminLink>
      </p>
      <h1>{t('admin.webhooks.one')}</h1>
      {webhooks.isError && <Alert>{errorText(webhooks.error)}</Alert>}
      {webhooks.data && !hook && <Alert>{t('errors.not_found')}</Alert>}
      {hook && (
        <Card title={t('admin.webhooks.endpoint')}>
          <dl className={styles.dl}>
            <dt>{t('admin.webhooks.url')}</dt>
            <dd>{hook.url}</dd>
            <dt>{t('admin.webhooks.events')}</dt>
            <dd>{hook.events.join(', ')}</dd>
            <dt>{t('admin.webhooks.createdAt')}</dt>
            <dd>{format.date(hook.createdAt)}</dd>
          </dl>
        </Card>
      )}
      {hook && <RotateSecret id={hook.id} previousSecretUntil={hook.previousSecretUntil} />}
      <Card title={t('admin.webhooks.deliveries')}>
        {redeliver.isError && <Alert>{errorText(redeliver.error)}</Alert>}
        {redeliver.isSuccess && <Alert tone="ok">{t('admin.webhooks.redelivered')}</Alert>}
        {deliveries.isError && <Alert>{errorText(deliveries.error)}</Alert>}
        {deliveries.data && deliveries.data.length === 0 && <p>{t('admin.webhooks.noDeliveries')}</p>}
        {deliveries.data && deliveries.data.length > 0 && (
          <TableWrap label={t('admin.webhooks.deliveries')}>
            <table className={css.table}>
              <thead>
                <tr>
                  <th scope="col">{t('admin.webhooks.event')}</th>
                  <th scope="col">{t('admin.webhooks.status')}</th>
                  <th scope="col">{t('admin.webhooks.tries')}</th>
                  <th scope="col">{t('admin.webhooks.action')}</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.map((delivery) => (
                  <tr key={delivery.id}>
                    <td>
                      {delivery.eventType}
                      <br />
                      <span className={styles.description}>
                        {format.date(delivery.createdAt)} · {delivery.eventId}
                      </span>
                    </td>
                    <td>
                      <span className={styles.badge}>{t(`admin.webhooks.statuses.${delivery.status}`)}</span>
                      {delivery.lastError && (
                        <>
                          <br />
                          <span className={styles.description}>{delivery.lastError}</span>
                        </>
                      )}
                      {delivery.nextAttemptAt && (
                        <>
                          <br />
                          <span className={styles.description}>
                            {t('admin.webhooks.nextTry', { when: format.date(delivery.nextAttemptAt) })}
                          </span>
                        </>
                      )}
                    </td>
                    <td>{format.number(delivery.attempts)}</td>
                    <td>
                      {delivery.status !== 'pending' && (
                        <Button
                          variant="secondary"
                          onPress={() => redeliver.mutate(delivery.id)}
                          isDisabled={redeliver.isPending}
                          aria-label={t('admin.webhooks.redeliverOne', { id: delivery.eventId })}
                        >
                          {t('admin.webhooks.redeliver')}
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
      {hook && (
        <Card title={t('admin.webhooks.delete')}>
          {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
          <p>{t('admin.webhooks.deleteHint')}</p>
          <div className={styles.actions}>
            {asked ? (
              <>
                <Button variant="danger" onPress={() => remove.mutate()} isDisabled={remove.isPending} autoFocus>
                  {t('admin.webhooks.deleteForGood')}
                </Button>
                <Button variant="secondary" onPress={() => setAsked(false)}>
                  {t('admin.cancel')}
                </Button>
              </>
            ) : (
              <Button variant="danger" onPress={() => setAsked(true)}>
                {t('admin.webhooks.delete')}
              </Button>
            )}
          </div>
        </Card>
      )}
    </>
  );
}
