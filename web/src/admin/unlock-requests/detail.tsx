import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { apiHref } from '@shared/api/href';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import ucss from './unlock.module.css';
import { TextAreaField } from '../shell/fields';
import { PdfProof } from './pdf-proof';
import { AdminLink, useAdminParams } from '../shell/links';
import { meQuery } from '../../shell/session';
import { type UnlockRequest, unlockRequestQuery } from './queries';

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

const extension = (contentType: string) => (contentType === 'image/jpeg' ? 'jpg' : contentType.split('/')[1]);

/** The requester's files, shown inline: images as images, PDFs drawn by pdf.js (and a link to download each). */
function ProofFiles({ request }: { request: UnlockRequest }) {
  const { t } = useTranslation();
  const format = useFormat();
  const files = request.proof.files;
  if (files.length === 0) return <p className={styles.description}>{t('admin.unlock.noFiles')}</p>;
  return (
    <ul className={ucss.proofFiles} aria-label={t('admin.unlock.files')}>
      {files.map((file, index) => {
        const href = apiHref('/v1/admin/unlock-requests/{id}/proofs/{proofId}', { id: request.id, proofId: file.id });
        const name = t('admin.unlock.fileName', {
          n: index + 1,
          type: file.contentType === 'application/pdf' ? 'PDF' : file.contentType.replace('image/', '').toUpperCase(),
          size: format.bytes(file.size),
        });
        return (
          <li key={file.id} className={ucss.proofFile}>
            <p>
              <strong>{name}</strong> · {format.date(file.createdAt)} ·{' '}
              <a href={href} download={`proof-${index + 1}.${extension(file.contentType)}`}>
                {t('admin.unlock.downloadFile')}
              </a>
            </p>
            {file.contentType === 'application/pdf' ? (
              <PdfProof href={href} name={name} />
            ) : (
              <img className={ucss.proofImage} src={href} alt={name} loading="lazy" />
            )}
          </li>
        );
      })}
    </ul>
  );
}

function Decision({ request }: { request: UnlockRequest }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const format = useFormat();
  const me = useQuery(meQuery).data;
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
  const first = request.firstApproval;
  const approvedFirstByMe = first !== null && me?.id === first.staffId;
  const canApprove = request.status === 'submitted' && !approvedFirstByMe;
  const canReject = request.status === 'submitted' || request.status === 'waiting';
  const approveLabel =
    request.lock.lostMode && request.status === 'submitted'
      ? first
        ? t('admin.unlock.fourEyes.confirm')
        : t('admin.unlock.fourEyes.first')
      : t('admin.unlock.approve');
  return (
    <Card title={t('admin.unlock.decision')}>
      {decide.isError && <Alert>{errorText(decide.error)}</Alert>}
      {decide.isSuccess && (
        <Alert tone="ok">
          {decide.data.firstApproval
            ? t('admin.unlock.decided.first')
            : t(`admin.unlock.decided.${decide.data.status}`, { defaultValue: t('admin.unlock.decided.other') })}
        </Alert>
      )}
      {request.lock.lostMode && request.status === 'submitted' && (
        <div role="status" className={ucss.fourEyes}>
          <p>
            <strong>{t('admin.unlock.fourEyes.title')}</strong>
          </p>
          <p>
            {first
              ? t('admin.unlock.fourEyes.awaiting', {
                  who: first.staffEmail ?? first.staffId,
                  when: format.date(first.at),
                })
              : t('admin.unlock.fourEyes.explain')}
          </p>
          {approvedFirstByMe && <p>{t('admin.unlock.fourEyes.notYou')}</p>}
        </div>
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
            {approveLabel}
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
  const requests = useQuery(unlockRequestQuery(id));
  const request = requests.data;

  return (
    <>
      <p>
        <AdminLink to="/unlock-requests">{t('admin.unlock.back')}</AdminLink>
      </p>
      <h1>{t('admin.unlock.one')}</h1>
      {requests.isError && <Alert>{errorText(requests.error)}</Alert>}
      {requests.isPending && <p role="status">{t('shell.loading')}</p>}
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
              {request.lock.lostMode && (
                <>
                  <dt>{t('admin.unlock.lostMode')}</dt>
                  <dd>{t('admin.unlock.lostModeYes')}</dd>
                </>
              )}
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
            <ProofFiles request={request} />
          </Card>
          <Decision request={request} />
        </>
      )}
    </>
  );
}
