import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, Checkbox, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { sessionChanged } from '../../shell/session';

// The sentence the API asks for, word for word; the checkbox shows it in the reader's language.
const CONFIRMATION_SENTENCE = 'Yes, I want to delete my account and all its data permanently';

type Step = 'lost' | 'devices' | 'checkbox' | 'channel' | 'code' | 'final' | 'done';
type Channel = 'email' | 'sms';
interface Requested {
  id: string;
  sentTo: string;
  /** When the code stops working, on this browser's clock (the server's Date header gives the offset). */
  expiresAtLocal: number;
}

/** Seconds left until `deadline`, ticking every second. */
function useSecondsLeft(deadline: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (deadline === undefined) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  return deadline === undefined ? 0 : Math.max(0, Math.ceil((deadline - now) / 1000));
}

function DeleteAccountPage() {
  const { t } = useTranslation();
  usePageTitle(t('deletion.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const summary = useQuery({
    queryKey: ['deletion-summary'],
    queryFn: async () => ok(await api.GET('/v1/me/deletion')),
  });
  const [step, setStep] = useState<Step>('lost');
  const [keep, setKeep] = useState<Record<string, 'release' | 'keep'>>({});
  const [agreed, setAgreed] = useState(false);
  const [channel, setChannel] = useState<Channel | undefined>(undefined);
  const [requested, setRequested] = useState<Requested | undefined>(undefined);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [attemptsLeft, setAttemptsLeft] = useState<number | undefined>(undefined);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<
    { status: 'deleted' | 'scheduled'; eraseAt?: string; keptLocks: number } | undefined
  >(undefined);
  const secondsLeft = useSecondsLeft(requested?.expiresAtLocal);
  const heading = useRef<HTMLHeadingElement>(null);
  // Devices already removed by an earlier try of the final step (a wrong code sends the person back).
  const removed = useRef(new Set<string>());

  // Each step is its own screen: the focus goes to its heading, so that a screen reader starts there.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the focus moves each time the step changes
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const title = (text: string) => (
    <h1 ref={heading} tabIndex={-1}>
      {text}
    </h1>
  );
  // The session is gone with the account: nothing below can be read any more.
  if (step === 'done') {
    return (
      <>
        {title(result?.status === 'scheduled' ? t('deletion.scheduledTitle') : t('deletion.doneTitle'))}
        <Alert tone="ok">
          {result?.status === 'scheduled'
            ? t('deletion.scheduled', { when: format.date(result.eraseAt) })
            : t('deletion.done')}
          {result && result.keptLocks > 0 ? ` ${t('deletion.keptLocks', { count: result.keptLocks })}` : ''}
        </Alert>
        <p>
          <Link to="/create-account">{t('signIn.create')}</Link>
        </p>
      </>
    );
  }
  if (summary.isError)
    return (
      <>
        <h1>{t('deletion.title')}</h1>
        <Alert>{errorText(summary.error)}</Alert>
      </>
    );
  if (!summary.data) return <p className={styles.muted}>{t('shell.loading')}</p>;
  const s = summary.data;
  const devices = s.devices;
  const choiceOf = (id: string) => keep[id] ?? 'release';
  const go = (next: Step) => {
    setError(undefined);
    setStep(next);
  };

  const sendCode = async () => {
    if (!channel) return;
    setPending(true);
    setError(undefined);
    try {
      const { data, response } = await api.POST('/v1/me/deletion', {
        body: { confirm: CONFIRMATION_SENTENCE, channel },
      });
      const answered = Date.parse(response.headers.get('date') ?? '') || Date.now();
      const lifetime = Date.parse(data!.expiresAt) - answered;
      setRequested({ id: data!.id, sentTo: data!.sentTo, expiresAtLocal: Date.now() + lifetime });
      setCode('');
      setAttemptsLeft(undefined);
      go('code');
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  };

  const confirm = async () => {
    if (!requested) return;
    setPending(true);
    setError(undefined);
    try {
      // The API releases all locks or none: the devices to release are removed first (which releases
      // their locks), so that only the ones to keep locked are left when the account goes.
      for (const device of devices) {
        if (choiceOf(device.id) !== 'release' || removed.current.has(device.id)) continue;
        await api.DELETE('/v1/devices/{id}', { params: { path: { id: device.id } } });
        removed.current.add(device.id);
      }
      const kept = devices.some((d) => choiceOf(d.id) === 'keep');
      const done = ok(
        await api.POST('/v1/me/deletion/{id}/confirm', {
          params: { path: { id: requested.id } },
          body: { code: code.trim(), ...(kept ? { acknowledgeLockedDevices: true } : { releaseDevices: true }) },
        }),
      );
      setResult(done);
      go('done');
      await sessionChanged(queryClient);
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError && typeof caught.problem.attemptsLeft === 'number')
        setAttemptsLeft(caught.problem.attemptsLeft);
      if (caught instanceof ApiError && ['code_invalid', 'code_expired', 'too_many_attempts'].includes(caught.code))
        setStep('code');
    } finally {
      setPending(false);
    }
  };

  const count = (key: 'contacts' | 'notes' | 'messages' | 'app-data') =>
    t('home.items', { count: s.collections[key].count, n: format.number(s.collections[key].count) });
  const back = (to: Step) => (
    <Button variant="secondary" onPress={() => go(to)}>
      {t('deletion.back')}
    </Button>
  );

  switch (step) {
    case 'lost':
      return (
        <>
          {title(t('deletion.title'))}
          <Card title={t('deletion.lostTitle')}>
            <p>{t('deletion.lostIntro')}</p>
            <dl className={styles.dl}>
              <dt>{t('collections.photos')}</dt>
              <dd>
                {t('home.items', { count: s.photos.count, n: format.number(s.photos.count) })} ·{' '}
                {format.bytes(s.photos.bytes)}
              </dd>
              <dt>{t('collections.contacts')}</dt>
              <dd>{count('contacts')}</dd>
              <dt>{t('collections.notes')}</dt>
              <dd>{count('notes')}</dd>
              <dt>{t('collections.messages')}</dt>
              <dd>{count('messages')}</dd>
              <dt>{t('collections.app-data')}</dt>
              <dd>{count('app-data')}</dd>
              <dt>{t('deletion.devices')}</dt>
              <dd>{format.number(devices.length)}</dd>
              <dt>{t('deletion.apps')}</dt>
              <dd>{s.apps.length === 0 ? t('deletion.none') : s.apps.map((a) => a.name).join(', ')}</dd>
              <dt>{t('deletion.credits')}</dt>
              <dd>{format.number(s.creditBalance)}</dd>
              <dt>{t('deletion.total')}</dt>
              <dd>{format.bytes(s.totalBytes)}</dd>
            </dl>
            <Alert tone="warning">{t('deletion.downloadFirst')}</Alert>
            <div className={styles.actions}>
              <Button onPress={() => go(devices.length > 0 ? 'devices' : 'checkbox')}>{t('deletion.continue')}</Button>
              <Link to="/">{t('deletion.keepAccount')}</Link>
            </div>
          </Card>
        </>
      );
    case 'devices':
      return (
        <>
          {title(t('deletion.devicesTitle'))}
          <Card>
            <Alert tone="warning">{t('deletion.devicesWarning', { count: devices.length })}</Alert>
            <ul className={styles.list}>
              {devices.map((device) => (
                <li key={device.id}>
                  <strong>{device.name}</strong>{' '}
                  <span className={styles.muted}>
                    {device.model} · …{device.serialHint}
                  </span>
                  <p className={styles.description}>
                    {device.signedIn ? t('devices.signedIn') : t('devices.signedOut')} ·{' '}
                    {t('home.lastSeen', { when: format.date(device.lastSeenAt) })}
                  </p>
                  <RadioGroup
                    label={t('deletion.lockOf', { name: device.name })}
                    value={choiceOf(device.id)}
                    onChange={(value) =>
                      setKeep((current) => ({ ...current, [device.id]: value === 'keep' ? 'keep' : 'release' }))
                    }
                    options={[
                      { value: 'release', label: t('deletion.release') },
                      { value: 'keep', label: t('deletion.keepLocked') },
                    ]}
                  />
                </li>
              ))}
            </ul>
            <div className={styles.actions}>
              <Button onPress={() => go('checkbox')}>{t('deletion.continue')}</Button>
              {back('lost')}
            </div>
          </Card>
        </>
      );
    case 'checkbox':
      return (
        <>
          {title(t('deletion.sureTitle'))}
          <Card>
            <div className={styles.form}>
              <Checkbox isSelected={agreed} onChange={setAgreed}>
                {t('deletion.sentence')}
              </Checkbox>
              <div className={styles.actions}>
                <Button onPress={() => go('channel')} isDisabled={!agreed}>
                  {t('deletion.continue')}
                </Button>
                {back(devices.length > 0 ? 'devices' : 'lost')}
              </div>
            </div>
          </Card>
        </>
      );
    case 'channel':
      return (
        <>
          {title(t('deletion.channelTitle'))}
          <Card>
            <Form
              className={styles.form}
              onSubmit={(event) => {
                event.preventDefault();
                void sendCode();
              }}
            >
              {error !== undefined && <Alert>{errorText(error)}</Alert>}
              <RadioGroup
                label={t('deletion.channel')}
                isRequired
                value={channel ?? null}
                onChange={(value) => setChannel(value === 'sms' ? 'sms' : 'email')}
                options={s.channels.map((c) => ({
                  value: c,
                  label: c === 'email' ? t('recovery.byEmail') : t('recovery.bySms'),
                }))}
              />
              <div className={styles.actions}>
                <Button type="submit" isDisabled={pending || !channel}>
                  {t('deletion.sendCode')}
                </Button>
                {back('checkbox')}
              </div>
            </Form>
          </Card>
        </>
      );
    case 'code': {
      const expired = secondsLeft === 0;
      return (
        <>
          {title(t('deletion.codeTitle'))}
          <Card>
            <Form
              className={styles.form}
              onSubmit={(event) => {
                event.preventDefault();
                go('final');
              }}
            >
              <p>{t('deletion.codeSent', { address: requested?.sentTo ?? '' })}</p>
              {error !== undefined && <Alert>{errorText(error)}</Alert>}
              <p role="timer" aria-live="off" className={expired ? styles.alert : undefined}>
                {expired
                  ? t('deletion.codeExpired')
                  : t('deletion.timeLeft', { seconds: secondsLeft, count: secondsLeft })}
              </p>
              {attemptsLeft !== undefined && <p>{t('deletion.attemptsLeft', { count: attemptsLeft })}</p>}
              <TextField
                label={t('signUp.code')}
                inputMode="numeric"
                autoComplete="one-time-code"
                isRequired
                maxLength={6}
                value={code}
                onChange={setCode}
                isDisabled={expired}
              />
              <div className={styles.actions}>
                <Button type="submit" isDisabled={expired || code.trim().length !== 6}>
                  {t('deletion.continue')}
                </Button>
                {(expired || attemptsLeft === 0) && (
                  <Button variant="secondary" onPress={() => void sendCode()} isDisabled={pending}>
                    {t('deletion.newCode')}
                  </Button>
                )}
              </div>
            </Form>
          </Card>
        </>
      );
    }
    case 'final': {
      const released = devices.filter((d) => choiceOf(d.id) === 'release');
      const kept = devices.filter((d) => choiceOf(d.id) === 'keep');
      return (
        <>
          {title(t('deletion.finalTitle'))}
          <Card>
            {error !== undefined && <Alert>{errorText(error)}</Alert>}
            <p>{s.graceDays > 0 ? t('deletion.finalGrace', { count: s.graceDays }) : t('deletion.finalNow')}</p>
            {released.length > 0 && (
              <p>{t('deletion.finalReleased', { names: released.map((d) => d.name).join(', ') })}</p>
            )}
            {kept.length > 0 && <p>{t('deletion.finalKept', { names: kept.map((d) => d.name).join(', ') })}</p>}
            <div className={styles.actions}>
              <Button variant="danger" onPress={() => void confirm()} isDisabled={pending}>
                {t('deletion.deleteNow')}
              </Button>
              <Link to="/">{t('deletion.keepAccount')}</Link>
            </div>
          </Card>
        </>
      );
    }
  }
}

export const Route = createLazyRoute('/delete-account')({ component: DeleteAccountPage });
