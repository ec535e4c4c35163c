import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles } from '@shared/ui';
import { TextAreaField } from '../shell/fields';
import type { StaffAccountView } from './queries';

const refresh = (queryClient: ReturnType<typeof useQueryClient>, id: string) =>
  queryClient.invalidateQueries({ queryKey: ['admin', 'account', id] });

/** Suspending (the person can no longer sign in, and is told) or restoring, each with its own reason. */
export function SuspendOrRestore({ account }: { account: StaffAccountView }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const suspended = account.status === 'suspended';
  const act = useMutation({
    mutationFn: async () => {
      const path = suspended ? '/v1/admin/accounts/{id}/restore' : '/v1/admin/accounts/{id}/suspend';
      return ok(
        await api.POST(path, { params: { path: { id: account.profile.id } }, body: { reason: reason.trim() } }),
      );
    },
    onSuccess: async () => {
      setReason('');
      await refresh(queryClient, account.profile.id);
    },
  });
  if (account.status !== 'active' && !suspended) return null;
  return (
    <Card title={suspended ? t('admin.account.restore') : t('admin.account.suspend')}>
      {act.isError && <Alert>{errorText(act.error)}</Alert>}
      {act.isSuccess && (
        <Alert tone="ok">
          {act.data.status === 'suspended' ? t('admin.account.suspended') : t('admin.account.restored')}
        </Alert>
      )}
      <p>{suspended ? t('admin.account.restoreHint') : t('admin.account.suspendHint')}</p>
      <Form
        className={styles.form}
        onSubmit={(event) => {
          event.preventDefault();
          act.mutate();
        }}
      >
        <TextAreaField
          label={t('admin.account.actionReason')}
          name="reason"
          isRequired
          value={reason}
          onChange={setReason}
        />
        <div className={styles.actions}>
          <Button type="submit" variant={suspended ? 'primary' : 'danger'} isDisabled={act.isPending}>
            {suspended ? t('admin.account.restore') : t('admin.account.suspend')}
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/** Ends every web and API session of the account (its devices stay signed in). */
export function EndSessions({ account, reason }: { account: StaffAccountView; reason: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const end = useMutation({
    mutationFn: async () =>
      ok(
        await api.DELETE('/v1/admin/accounts/{id}/sessions', {
          params: { path: { id: account.profile.id }, query: { reason } },
        }),
      ),
    onSuccess: () => refresh(queryClient, account.profile.id),
  });
  return (
    <Card title={t('admin.account.sessions')}>
      {end.isError && <Alert>{errorText(end.error)}</Alert>}
      {end.isSuccess && <Alert tone="ok">{t('admin.account.sessionsEnded', { count: end.data.ended })}</Alert>}
      {account.sessions.length === 0 ? (
        <p>{t('admin.account.noSessions')}</p>
      ) : (
        <ul className={styles.list}>
          {account.sessions.map((session) => (
            <li key={session.id}>
              <strong>{session.client || t(`sessions.kinds.${session.kind}`)}</strong>
              <br />
              <span className={styles.description}>
                {t(`sessions.kinds.${session.kind}`)} · {session.ip || '—'} ·{' '}
                {t('sessions.lastUsed', { when: format.date(session.lastUsedAt) })}
              </span>
            </li>
          ))}
        </ul>
      )}
      {account.sessions.some((session) => session.kind !== 'device') && (
        <div className={styles.actions}>
          <Button variant="danger" onPress={() => end.mutate()} isDisabled={end.isPending}>
            {t('admin.account.endAll')}
          </Button>
        </div>
      )}
    </Card>
  );
}
