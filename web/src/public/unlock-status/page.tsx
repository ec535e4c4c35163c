import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useLocation, useNavigate, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, TextField, styles, usePageTitle } from '@shared/ui';
import { tokenFromHash } from '../fragment';
import { ProofFilePicker, UploadFailures, UploadProgress, useProofFiles } from '../unlock-request/files';

/** While staff have not decided, the requester may add proof files (or send again one that failed). */
function AddProofFiles({ requestId, token }: { requestId: string; token: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const proofs = useProofFiles();
  const send = useMutation({
    mutationFn: () => proofs.uploadAll(requestId, token),
    onSuccess: () => {
      proofs.clear();
      return queryClient.invalidateQueries({ queryKey: ['unlock-request', requestId] });
    },
  });
  return (
    <section className={styles.card} aria-labelledby="add-proof-files">
      <h2 id="add-proof-files">{t('unlock.files.addTitle')}</h2>
      <p>{t('unlock.files.addIntro')}</p>
      <div className={styles.form}>
        {send.data && send.data.attached > 0 && (
          <Alert tone="ok">{t('unlock.files.attached', { count: send.data.attached })}</Alert>
        )}
        {send.data && <UploadFailures failed={send.data.failed} afterRequest={false} />}
        <ProofFilePicker proofs={proofs} optional={false} />
        {proofs.progress && <UploadProgress progress={proofs.progress} total={proofs.files.length} />}
        <Button onPress={() => send.mutate()} isDisabled={send.isPending || proofs.files.length === 0}>
          {t('unlock.files.send')}
        </Button>
      </div>
    </section>
  );
}

/** Where an unlock request stands, for the holder of its status token (from the link, or typed in). */
function UnlockStatusPage() {
  const { t } = useTranslation();
  usePageTitle(t('unlockStatus.title'));
  const errorText = useErrorText();
  const format = useFormat();
  const navigate = useNavigate();
  const { requestId } = useParams({ from: '/unlock/$requestId' });
  const token = tokenFromHash(useLocation({ select: (location) => location.hash }));
  const [typed, setTyped] = useState('');
  const status = useQuery({
    queryKey: ['unlock-request', requestId, token],
    enabled: token !== undefined,
    queryFn: async () =>
      ok(
        await api.GET('/v1/unlock-requests/{id}', {
          params: { path: { id: requestId }, query: { token: token ?? '' } },
        }),
      ),
  });
  const request = status.data;

  return (
    <div className={styles.narrow}>
      <h1>{t('unlockStatus.title')}</h1>
      <div className={styles.card}>
        <p className={styles.description}>{t('unlockStatus.request', { id: requestId })}</p>
        {!token && (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              void navigate({ to: '/unlock/$requestId', params: { requestId }, hash: `token=${typed.trim()}` });
            }}
          >
            <p>{t('unlockStatus.needToken')}</p>
            <TextField
              label={t('unlockStatus.token')}
              isRequired
              autoComplete="off"
              value={typed}
              onChange={setTyped}
            />
            <Button type="submit">{t('unlockStatus.show')}</Button>
          </Form>
        )}
        {status.isPending && token && (
          <p className={styles.muted} role="status">
            {t('shell.loading')}
          </p>
        )}
        {status.isError && <Alert>{errorText(status.error)}</Alert>}
        {request && (
          <div role="status">
            <p>
              <strong>{t(`unlockStatus.states.${request.status}`)}</strong>
            </p>
            <p>{t(`unlockStatus.explain.${request.status}`, { releaseAt: format.date(request.releaseAt) })}</p>
            <dl className={styles.dl}>
              <dt>{t('unlockStatus.sentAt')}</dt>
              <dd>{format.date(request.createdAt)}</dd>
              {request.decidedAt && (
                <>
                  <dt>{t('unlockStatus.decidedAt')}</dt>
                  <dd>{format.date(request.decidedAt)}</dd>
                </>
              )}
              {request.releaseAt && request.status === 'waiting' && (
                <>
                  <dt>{t('unlockStatus.releaseAt')}</dt>
                  <dd>{format.date(request.releaseAt)}</dd>
                </>
              )}
              {request.releasedAt && (
                <>
                  <dt>{t('unlockStatus.releasedAt')}</dt>
                  <dd>{format.date(request.releasedAt)}</dd>
                </>
              )}
            </dl>
          </div>
        )}
      </div>
      {request?.status === 'submitted' && token && <AddProofFiles requestId={requestId} token={token} />}
      <p>
        <Link to="/unlock">{t('unlockStatus.newRequest')}</Link>
      </p>
    </div>
  );
}

export const Route = createLazyRoute('/unlock/$requestId')({ component: UnlockStatusPage });
