import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TextAreaField } from '../shell/fields';
import { AdminLink, useAdminParams } from '../shell/links';
import { type UnlockRequest, unlockRequestsQuery } from './queries';

/** The time left until `at`, in days, hours, minutes and seconds, ticking each second. */
function Countdown({ at }: { at: string }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, new Date(at).getTime() - now);
  const seconds = Math.floor(left / 1000);
  const parts = {
    d: Math.floor(seconds / 86400),
    h: Math.floor((seconds % 86400) / 3600),
    m: Math.floor((seconds % 3600) / 60),
    s: seconds % 60,
  };
  return <span className={css.countdown}>{left === 0 ? t('admin.unlock.due') : t('admin.unlock.left', parts)}</span>;
}

function Decision({ request }: { request: UnlockRequest }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const decide = useMutation({
    mutationFn: async (verdict: 'approve' | 'reject') => {
      const path =
        verdict === 'approve' ? '/v1/admin/unlock-requests/{id}/approve' : '/v1/admin/unlock-requests/{id}/reject';
      return ok(
        await api.POST(path, { params: { path: { id: request.id } }, body: note.trim() ? { note: note.trim() } : {} }),
      );
    },
    onSuccess: () => setNote(''),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin', 'unlock-requests'] }),
  });
  const canApprove = request.status === 'submitted';
  const canReject = request.status === 'submitted' || request.status === 'waiting';
  return (
    <Card title={t('admin.unlock.decision')}>
      {decide.isError && <Alert>{errorText(decide.error)}</Alert>}
      {decide.isSuccess && (
        <Alert tone="ok">
          {t(`admin.unlock.decided.${decide.data.status}`, { defaultValue: t('admin.unlock.decided.other') })}
        </Alert>
      )}
      {canApprove && !request.lock.locked && <Alert tone="warning">{t('admin.unlock.noLock')}</Alert>}
      {canApprove && <p>{t('admin.unlock.approveHint')}</p>}
      {!canApprove && !canReject && <p>{t('admin.unlock.ended')}</p>}
      {(canApprove || canReject) && (
        <TextAreaField
          label={t('admin.unlock.note')}
          description={t('admin.unlock.noteHint')}
          name="note"
          value={note}
          onChange={setNote}
        />
      )}
      <div className={styles.actions}>
        {canApprove && (
          <Button onPress={() => decide.mutate('approve')} isDisabled={decide.isPending}>
            {t('admin.unlock.approve')}
          </Button>
        )}
        {canReject && (
          <Button variant="danger" onPress={() => decide.mutate('reject')} isDisabled={decide.isPending}>
            {request.status === 'waiting' ? t('admin.unlock.stop') : t('admin.unlock.reject')}
          </Button>
        )}
      </div>
    </Card>
  );
}

/** One request: what the requester gave, the lock, the waiting period and the owner's answer, and the decision. */
export default function UnlockRequestPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.unlock.one'));
  const format = useFormat();
  const errorText = useErrorText();
  const { id } = useAdminParams<{ id: string }>();
  // The API lists requests (the newest 200) rather than reading one; the page picks its own.
  const requests = useQuery(unlockRequestsQuery(undefined));
  const request = requests.data?.find((r) => r.id === id);

  return (
    <>
      <p>
        <AdminLink to="/unlock-requests">{t('admin.unlock.back')}</AdminLink>
      </p>
      <h1>{t('admin.unlock.one')}</h1>
      {requests.isError && <Alert>{errorText(requests.error)}</Alert>}
      {requests.isPending && <p role="status">{t('shell.loading')}</p>}
      {requests.data && !request && <Alert>{t('errors.not_found')}</Alert>}
      {request && (
        <>
          <Card title={t('admin.unlock.summary')}>
            <dl className={styles.dl}>
              <dt>{t('admin.unlock.state')}</dt>
              <dd>
                <span className={styles.badge}>{t(`admin.unlock.status.${request.status}`)}</span>
              </dd>
              <dt>{t('admin.unlock.id')}</dt>
              <dd>{request.id}</dd>
              <dt>{t('admin.unlock.received')}</dt>
              <dd>{format.date(request.createdAt)}</dd>
              <dt>{t('admin.unlock.device')}</dt>
              <dd>…{request.serialHint}</dd>
              <dt>{t('admin.unlock.lock')}</dt>
              <dd>
                {request.lock.locked
                  ? request.lock.ownerActive
                    ? t('admin.unlock.lockedActive')
                    : t('admin.unlock.lockedNoOwner')
                  : t('admin.unlock.notLocked')}
              </dd>
              <dt>{t('admin.unlock.contact')}</dt>
              <dd>{request.contact.email}</dd>
              {request.decidedAt && (
                <>
                  <dt>{t('admin.unlock.decidedAt')}</dt>
                  <dd>{format.date(request.decidedAt)}</dd>
                </>
              )}
              {request.releasedAt && (
                <>
                  <dt>{t('admin.unlock.releasedAt')}</dt>
                  <dd>{format.date(request.releasedAt)}</dd>
                </>
              )}
            </dl>
          </Card>
          {request.status === 'waiting' && request.releaseAt && (
            <Card title={t('admin.unlock.waiting')}>
              <p>{t('admin.unlock.releaseAt', { when: format.date(request.releaseAt) })}</p>
              <p>
                <Countdown at={request.releaseAt} />
              </p>
              <p className={styles.description}>{t('admin.unlock.objectHint')}</p>
            </Card>
          )}
          {request.status === 'objected' && <Alert tone="warning">{t('admin.unlock.objected')}</Alert>}
          <Card title={t('admin.unlock.proof')}>
            <p>
              <strong>{t(`admin.unlock.proofKind.${request.proof.kind}`)}</strong>
            </p>
            {request.proof.text ? (
              <blockquote>{request.proof.text}</blockquote>
            ) : (
              <p className={styles.description}>{t('admin.unlock.noProofText')}</p>
            )}
          </Card>
          <Decision request={request} />
        </>
      )}
    </>
  );
}
