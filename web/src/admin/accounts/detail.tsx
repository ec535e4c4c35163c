import { useMutation, useQuery } from '@tanstack/react-query';
import i18next from 'i18next';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, TextField, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { AdminLink, useAdminNavigate, useAdminParams, useAdminSearch } from '../shell/links';
import { useStaffRole } from '../shell/root';
import { EndSessions, SuspendOrRestore } from './actions';
import { Credits } from './credits';
import type { StaffAccountView } from './queries';

/** Opening an account needs a reason (a link from the search carries it; an address typed by hand asks). */
function AskReason({ id }: { id: string }) {
  const { t } = useTranslation();
  const navigate = useAdminNavigate();
  const [reason, setReason] = useState('');
  return (
    <Card>
      <Form
        className={styles.form}
        onSubmit={(event) => {
          event.preventDefault();
          void navigate({ to: '/accounts/$id', params: { id }, search: { reason: reason.trim() } });
        }}
      >
        <TextField
          label={t('admin.accounts.reason')}
          description={t('admin.accounts.reasonHint')}
          name="reason"
          isRequired
          value={reason}
          onChange={setReason}
        />
        <div className={styles.actions}>
          <Button type="submit">{t('admin.account.open')}</Button>
        </div>
      </Form>
    </Card>
  );
}

function Profile({ account, reason }: { account: StaffAccountView; reason: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const reveal = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/v1/admin/accounts/{id}/reveal', {
          params: { path: { id: account.profile.id } },
          body: { reason },
        }),
      ),
  });
  const shown = reveal.data ?? account.profile;
  return (
    <Card title={t('admin.account.profile')}>
      {reveal.isError && <Alert>{errorText(reveal.error)}</Alert>}
      <dl className={styles.dl}>
        <dt>{t('home.accountId')}</dt>
        <dd>{account.profile.id}</dd>
        <dt>{t('admin.account.name')}</dt>
        <dd>{account.profile.name ?? '—'}</dd>
        <dt>{t('home.email')}</dt>
        <dd>{shown.email ?? '—'}</dd>
        <dt>{t('home.phone')}</dt>
        <dd>{shown.phone ?? '—'}</dd>
        <dt>{t('admin.account.language')}</dt>
        <dd>{account.profile.locale}</dd>
        <dt>{t('home.since')}</dt>
        <dd>{format.date(account.profile.createdAt)}</dd>
        <dt>{t('admin.accounts.state')}</dt>
        <dd>
          {t(`admin.accounts.states.${account.status}`)}
          {account.suspendedAt ? ` · ${format.date(account.suspendedAt)}` : ''}
        </dd>
        <dt>{t('admin.account.twoStep')}</dt>
        <dd>
          {account.twoStep.enabled ? t('admin.account.on') : t('admin.account.off')}
          {account.twoStep.locked ? ` · ${t('admin.account.ownerLocked')}` : ''}
        </dd>
        <dt>{t('admin.account.deletion')}</dt>
        <dd>{t(`admin.account.deletionStates.${account.deletion.status}`)}</dd>
      </dl>
      {!reveal.data && (account.profile.email || account.profile.phone) && (
        <div className={styles.actions}>
          <Button variant="secondary" onPress={() => reveal.mutate()} isDisabled={reveal.isPending}>
            {t('admin.account.reveal')}
          </Button>
          <span className={styles.description}>{t('admin.account.revealHint')}</span>
        </div>
      )}
    </Card>
  );
}

/** An account as staff see it: what is there, and the few things staff may do about it. */
export default function AccountPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.account.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const role = useStaffRole();
  const { id } = useAdminParams<{ id: string }>();
  const { reason } = useAdminSearch<{ reason?: string }>();
  const account = useQuery({
    queryKey: ['admin', 'account', id, reason],
    queryFn: async () =>
      ok(await api.GET('/v1/admin/accounts/{id}', { params: { path: { id }, query: { reason: reason! } } })),
    enabled: Boolean(reason),
    // Each look is audited and shown to the person: not asked again behind the staff member's back.
    staleTime: Number.POSITIVE_INFINITY,
  });
  // Staff read the person's events from outside: a few have words of their own here.
  const eventText = (type: string) => {
    const name = type.replace(/\./g, '_');
    const key = [`admin.events.${name}`, `events.${name}`].find((candidate) => i18next.exists(candidate));
    return key ? t(key) : type;
  };
  const data = account.data;

  return (
    <>
      <p>
        <AdminLink to="/accounts">{t('admin.account.back')}</AdminLink>
      </p>
      <h1>{t('admin.account.title')}</h1>
      {!reason && <AskReason id={id} />}
      {reason && <p className={styles.description}>{t('admin.account.reasonShown', { reason })}</p>}
      {account.isError && <Alert>{errorText(account.error)}</Alert>}
      {account.isFetching && !data && <p role="status">{t('shell.loading')}</p>}
      {data && reason && (
        <>
          <Profile account={data} reason={reason} />
          <SuspendOrRestore account={data} />
          <Card title={t('nav.devices')}>
            {data.devices.length === 0 ? (
              <p>{t('admin.account.noDevices')}</p>
            ) : (
              <TableWrap label={t('nav.devices')}>
                <table className={css.table}>
                  <thead>
                    <tr>
                      <th scope="col">{t('admin.account.device')}</th>
                      <th scope="col">{t('admin.unlock.lock')}</th>
                      <th scope="col">{t('admin.account.linked')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.devices.map((device) => (
                      <tr key={device.id}>
                        <td>
                          {device.name}
                          <br />
                          <span className={styles.description}>
                            {device.model} · …{device.serialHint}
                          </span>
                        </td>
                        <td>{device.locked ? t('admin.account.locked') : t('admin.account.notLocked')}</td>
                        <td>{format.date(device.linkedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </Card>
          <EndSessions account={data} reason={reason} />
          <Credits account={data} reason={reason} canGrant={role === 'admin'} />
          <Card title={t('admin.unlock.title')}>
            {data.unlockRequests.length === 0 ? (
              <p>{t('admin.account.noUnlockRequests')}</p>
            ) : (
              <ul className={styles.list}>
                {data.unlockRequests.map((request) => (
                  <li key={request.id}>
                    <AdminLink to="/unlock-requests/$id" params={{ id: request.id }}>
                      {t('admin.unlock.openRequest', { when: format.date(request.createdAt) })}
                    </AdminLink>
                    <br />
                    <span className={styles.description}>
                      {t(`admin.unlock.status.${request.status}`)} · …{request.serialHint}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title={t('admin.account.events')}>
            {data.events.length === 0 ? (
              <p>{t('admin.account.noEvents')}</p>
            ) : (
              <ul className={styles.list}>
                {data.events.map((event) => (
                  <li key={event.id}>
                    <strong>{eventText(event.type)}</strong>
                    <br />
                    <span className={styles.description}>
                      {format.date(event.at)} · {event.client ?? ''} · {event.ip ?? ''}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </>
      )}
    </>
  );
}
