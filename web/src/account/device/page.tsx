import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useParams } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, TextField, styles, usePageTitle } from '@shared/ui';
import { LocationMap } from './LocationMap';

const IN_PROGRESS = new Set(['queued', 'delivered']);

function DevicePage() {
  const { t } = useTranslation();
  const { deviceId } = useParams({ from: '/devices/$deviceId' });
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const path = { params: { path: { id: deviceId } } };

  const commands = useQuery({
    queryKey: ['devices', deviceId, 'commands'],
    queryFn: async () => ok(await api.GET('/v1/devices/{id}/commands', path)),
    // Live progress: asked again every 2 s while a command is on its way, not otherwise.
    refetchInterval: (query) => (query.state.data?.commands.some((c) => IN_PROGRESS.has(c.state)) ? 2000 : false),
  });
  const device = useQuery({
    queryKey: ['devices', deviceId],
    queryFn: async () => ok(await api.GET('/v1/devices/{id}', path)),
  });
  // A command's answer brings the location and the last seen time with it: the device is read again with each list.
  const { dataUpdatedAt } = commands;
  useEffect(() => {
    if (dataUpdatedAt) void queryClient.invalidateQueries({ queryKey: ['devices', deviceId], exact: true });
  }, [dataUpdatedAt, deviceId, queryClient]);
  usePageTitle(device.data?.name ?? t('devices.title'));

  const send = useMutation({
    mutationFn: async (body: { type: 'locate' | 'ring' | 'lock'; message?: string }) =>
      ok(await api.POST('/v1/devices/{id}/commands', { ...path, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['devices', deviceId, 'commands'] }),
  });
  const [message, setMessage] = useState('');
  const [phone, setPhone] = useState('');
  const [confirmRemove, setConfirmRemove] = useState(false);
  const remove = useMutation({
    mutationFn: async () => ok(await api.DELETE('/v1/devices/{id}', path)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['devices'], exact: true }),
  });

  if (remove.isSuccess) {
    return (
      <>
        <h1>{t('device.removedTitle')}</h1>
        <Alert tone="ok">{t('device.removed', { name: device.data?.name ?? '' })}</Alert>
        <p>
          <Link to="/devices">{t('device.back')}</Link>
        </p>
      </>
    );
  }
  if (device.isError) {
    return (
      <>
        <h1>{t('devices.title')}</h1>
        <Alert>{errorText(device.error)}</Alert>
        <p>
          <Link to="/devices">{t('device.back')}</Link>
        </p>
      </>
    );
  }
  if (!device.data) return <p className={styles.muted}>{t('shell.loading')}</p>;
  const d = device.data;
  const lostMessage = [message.trim(), phone.trim() ? t('device.callOwner', { phone: phone.trim() }) : '']
    .filter(Boolean)
    .join(' · ');

  return (
    <>
      <p>
        <Link to="/devices">{t('device.back')}</Link>
      </p>
      <h1>{d.name}</h1>
      <Card>
        <dl className={styles.dl}>
          <dt>{t('device.model')}</dt>
          <dd>
            {d.model} · …{d.serialHint}
          </dd>
          <dt>{t('device.lock')}</dt>
          <dd>{d.locked ? t('home.locked') : t('home.unlocked')}</dd>
          <dt>{t('device.status')}</dt>
          <dd>{d.tokenActive ? t('devices.signedIn') : t('devices.signedOut')}</dd>
          <dt>{t('device.lastSeen')}</dt>
          <dd>{format.date(d.lastSeenAt)}</dd>
        </dl>
      </Card>

      {send.isError && <Alert>{errorText(send.error)}</Alert>}
      <Card title={t('device.find')}>
        {d.lastLocation ? (
          <LocationMap {...d.lastLocation} />
        ) : (
          <p className={styles.muted}>{t('device.noLocation')}</p>
        )}
        <div className={styles.actions}>
          <Button onPress={() => send.mutate({ type: 'locate' })} isDisabled={send.isPending || !d.tokenActive}>
            {t('device.locate')}
          </Button>
          <Button
            variant="secondary"
            onPress={() => send.mutate({ type: 'ring' })}
            isDisabled={send.isPending || !d.tokenActive}
          >
            {t('device.ring')}
          </Button>
        </div>
        {!d.tokenActive && <p className={styles.description}>{t('device.notSignedIn')}</p>}
      </Card>

      <Card title={t('device.lostMode')}>
        <p>{t('device.lostIntro')}</p>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            send.mutate({ type: 'lock', message: lostMessage });
          }}
        >
          <TextField label={t('device.lostMessage')} isRequired maxLength={150} value={message} onChange={setMessage} />
          <TextField
            label={t('device.lostPhone')}
            description={t('signUp.phoneHint')}
            type="tel"
            autoComplete="tel"
            maxLength={20}
            value={phone}
            onChange={setPhone}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={send.isPending || !d.tokenActive}>
              {t('device.lostSubmit')}
            </Button>
          </div>
        </Form>
      </Card>

      <Card title={t('device.commands')}>
        {commands.isError && <Alert>{errorText(commands.error)}</Alert>}
        {commands.data && commands.data.commands.length === 0 && (
          <p className={styles.muted}>{t('device.noCommands')}</p>
        )}
        {commands.data && commands.data.commands.length > 0 && (
          <ul className={styles.list} aria-live="polite">
            {commands.data.commands.map((command) => (
              <li key={command.id} className={styles.row}>
                <span>
                  <strong>{t(`device.types.${command.type}`)}</strong>
                  {command.message && (
                    <>
                      <br />
                      <span className={styles.description}>{command.message}</span>
                    </>
                  )}
                  <br />
                  <span className={styles.description}>
                    {format.date(command.completedAt ?? command.deliveredAt ?? command.createdAt)}
                  </span>
                </span>
                <span className={styles.badge}>{t(`device.states.${command.state}`)}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title={t('device.remove')}>
        <p>{t('device.removeIntro', { name: d.name })}</p>
        {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
        <div className={styles.actions}>
          {!confirmRemove && (
            <Button variant="secondary" onPress={() => setConfirmRemove(true)}>
              {t('device.remove')}
            </Button>
          )}
          {confirmRemove && (
            <>
              <Button variant="danger" autoFocus onPress={() => remove.mutate()} isDisabled={remove.isPending}>
                {t('device.removeConfirm', { name: d.name })}
              </Button>
              <Button variant="secondary" onPress={() => setConfirmRemove(false)}>
                {t('reauth.cancel')}
              </Button>
            </>
          )}
        </div>
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/devices/$deviceId')({ component: DevicePage });
