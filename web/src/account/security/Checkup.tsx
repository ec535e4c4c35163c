import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import { unlockRequestsQuery } from './queries';
import css from './security.module.css';

const DAY = 24 * 60 * 60 * 1000;
/** A password older than this is worth a look (a nudge, not a rule). */
const OLD_PASSWORD_DAYS = 365;
/** Devices not seen for this long, still locked to the account, may be lost or sold. */
const STALE_DEVICE_DAYS = 90;
/** Sign-ins from a new browser or app this recent are worth a look. */
const NEW_SIGN_IN_DAYS = 30;

export interface CheckupInput {
  security: {
    password: { changedAt: string };
    totp: { enabled: boolean };
    passkeys: unknown[];
    recoveryCodes: { remaining: number; low: boolean };
    secondFactorRequired: boolean;
  };
  events: { type: string; at: string; ip?: string | null; client?: string | null }[] | undefined;
  /** This browser's session: its own sign-in is not news to the person reading. */
  current: { ip?: string | null; client?: string | null } | undefined;
  devices: { locked: boolean; lastSeenAt?: string | null }[] | undefined;
  /** Open unlock requests against the account's devices: someone else asks for one to be released. */
  unlockRequests: { id: string; serialHint: string }[] | undefined;
  now: number;
}

export type Item = { key: string; attention: boolean; title: string; detail: string; action: ReactNode };

function CheckItem({ item }: { item: Item }) {
  const { t } = useTranslation();
  return (
    <li className={css.check} data-attention={item.attention || undefined}>
      <span className={css.mark} aria-hidden="true">
        {item.attention ? '!' : '✓'}
      </span>
      <span className={css.checkText}>
        <strong>
          <span className={css.hidden}>
            {item.attention ? t('security.checkup.needsAttention') : t('security.checkup.fine')}:{' '}
          </span>
          {item.title}
        </strong>
        <span className={styles.description}>{item.detail}</span>
      </span>
      <span className={css.checkAction}>{item.action}</span>
    </li>
  );
}

/** The one-click fix of an unlock request the owner did not make: object to it (the device stays locked). */
function StopUnlockRequests({ ids }: { ids: string[] }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const stop = useMutation({
    mutationFn: async () => {
      for (const id of ids)
        ok(await api.POST('/v1/unlock-requests/{id}/object', { params: { path: { id } }, body: {} }));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: unlockRequestsQuery.queryKey }),
  });
  return (
    <>
      <Button variant="danger" onPress={() => stop.mutate()} isDisabled={stop.isPending}>
        {t('security.checkup.stopUnlockRequests', { count: ids.length })}
      </Button>
      {stop.isError && <Alert>{errorText(stop.error)}</Alert>}
    </>
  );
}

/** The checkup's items, those that need attention first. */
export function useCheckupItems({ security, events, devices, current, unlockRequests, now }: CheckupInput): Item[] {
  const { t } = useTranslation();
  const format = useFormat();
  const passwordDays = Math.floor((now - Date.parse(security.password.changedAt)) / DAY);
  const twoStep = security.secondFactorRequired;
  const thisBrowser = (e: { ip?: string | null; client?: string | null }) =>
    current !== undefined && e.client === current.client && e.ip === current.ip;
  const newSignIns = (events ?? []).filter(
    (e) => e.type === 'sign_in.new_client' && now - Date.parse(e.at) < NEW_SIGN_IN_DAYS * DAY && !thisBrowser(e),
  ).length;
  const staleDevices = (devices ?? []).filter(
    (d) => d.locked && (!d.lastSeenAt || now - Date.parse(d.lastSeenAt) > STALE_DEVICE_DAYS * DAY),
  ).length;
  const jump = (id: string, label: string) => <a href={`#${id}-heading`}>{label}</a>;

  const items: Item[] = [
    {
      key: 'two-step',
      attention: !twoStep,
      title: twoStep ? t('security.checkup.twoStepOn') : t('security.checkup.twoStepOff'),
      detail: twoStep ? t('security.checkup.twoStepOnDetail') : t('security.checkup.twoStepOffDetail'),
      action: jump('authenticator', twoStep ? t('security.checkup.review') : t('security.checkup.turnOn')),
    },
    {
      key: 'recovery-codes',
      attention: twoStep && security.recoveryCodes.low,
      title:
        !twoStep && security.recoveryCodes.remaining === 0
          ? t('security.checkup.noCodes')
          : t('security.checkup.codes', { count: security.recoveryCodes.remaining }),
      detail: !twoStep
        ? t('security.checkup.codesWithTwoStep')
        : security.recoveryCodes.low
          ? t('security.checkup.codesLow')
          : t('security.checkup.codesFine'),
      action: jump(
        'recovery-codes',
        twoStep && security.recoveryCodes.low ? t('security.checkup.makeCodes') : t('security.checkup.review'),
      ),
    },
    {
      key: 'passkeys',
      attention: false,
      title: t('security.checkup.passkeys', { count: security.passkeys.length }),
      detail: t('security.checkup.passkeysDetail'),
      action: jump(
        'passkeys',
        security.passkeys.length === 0 ? t('security.checkup.addPasskey') : t('security.checkup.review'),
      ),
    },
    {
      key: 'password',
      attention: passwordDays > OLD_PASSWORD_DAYS,
      title: t('security.checkup.password', { when: format.date(security.password.changedAt) }),
      detail: passwordDays > OLD_PASSWORD_DAYS ? t('security.checkup.passwordOld') : t('security.checkup.passwordFine'),
      action: jump('password', t('security.checkup.changePassword')),
    },
    {
      key: 'sign-ins',
      attention: newSignIns > 0,
      title:
        newSignIns > 0 ? t('security.checkup.newSignIns', { count: newSignIns }) : t('security.checkup.noNewSignIns'),
      detail: newSignIns > 0 ? t('security.checkup.newSignInsDetail') : t('security.checkup.noNewSignInsDetail'),
      action: <Link to="/sessions">{t('security.checkup.seeSessions')}</Link>,
    },
    {
      key: 'devices',
      attention: staleDevices > 0,
      title:
        staleDevices > 0
          ? t('security.checkup.staleDevices', { count: staleDevices })
          : t('security.checkup.devicesFine'),
      detail:
        staleDevices > 0
          ? t('security.checkup.staleDevicesDetail')
          : t('security.checkup.devicesFineDetail', { count: devices?.length ?? 0 }),
      action: <Link to="/devices">{t('security.checkup.seeDevices')}</Link>,
    },
    {
      key: 'unlock-requests',
      attention: (unlockRequests?.length ?? 0) > 0,
      title: unlockRequests?.length
        ? t('security.checkup.unlockRequests', { count: unlockRequests.length })
        : t('security.checkup.noUnlockRequests'),
      detail: unlockRequests?.length
        ? t('security.checkup.unlockRequestsDetail', {
            serials: unlockRequests.map((r) => `…${r.serialHint}`).join(', '),
          })
        : t('security.checkup.noUnlockRequestsDetail'),
      action: unlockRequests?.length ? <StopUnlockRequests ids={unlockRequests.map((r) => r.id)} /> : null,
    },
  ];
  // The items that need a look come first; the rest keep their order.
  return [...items.filter((i) => i.attention), ...items.filter((i) => !i.attention)];
}

/** Everything about the account's safety in plain words, the items that need attention first, each with a way to fix it. */
export function Checkup(input: CheckupInput) {
  const { t } = useTranslation();
  const ordered = useCheckupItems(input);
  const attention = ordered.filter((i) => i.attention).length;
  return (
    <section className={styles.card} aria-labelledby="checkup-heading">
      <h2 id="checkup-heading">{t('security.checkup.title')}</h2>
      <p role="status" className={attention > 0 ? css.summaryWarn : css.summaryOk}>
        {attention > 0 ? t('security.checkup.summary', { count: attention }) : t('security.checkup.allGood')}
      </p>
      <ul className={css.checks}>
        {ordered.map((item) => (
          <CheckItem key={item.key} item={item} />
        ))}
      </ul>
    </section>
  );
}
