import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { fieldError, useErrorText } from '@shared/i18n';
import { Alert, Button, TextField, styles } from '@shared/ui';
import { meQuery } from '../../shell/session';

type Field = 'email' | 'phone';

/**
 * Adds or changes the email or the phone: a code goes to the new address and the change happens when it
 * comes back (the API asks for a fresh sign-in, which the shared prompt handles). The old address is told,
 * with a link that undoes the change.
 */
export function AddressChange({ field, current }: { field: Field; current: string | null }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const [changed, setChanged] = useState<{ address: string; undo: boolean } | undefined>(undefined);
  const isEmail = field === 'email';

  const send = useMutation({
    mutationFn: async (to: string) => {
      if (isEmail) await api.POST('/v1/me/email', { body: { email: to } });
      else await api.POST('/v1/me/phone', { body: { phone: to } });
      return to;
    },
    onSuccess: (to) => {
      setSentTo(to);
      setCode('');
    },
  });
  const confirm = useMutation({
    mutationFn: async () => {
      const to = sentTo!;
      const code_ = code.trim();
      return isEmail
        ? ok(await api.POST('/v1/me/email/confirm', { body: { email: to, code: code_ } }))
        : ok(await api.POST('/v1/me/phone/confirm', { body: { phone: to, code: code_ } }));
    },
    onSuccess: (profile) => {
      queryClient.setQueryData(meQuery.queryKey, profile);
      setChanged({ address: (isEmail ? profile.email : profile.phone) ?? sentTo!, undo: current !== null });
      close();
    },
  });

  function close() {
    setOpen(false);
    setAddress('');
    setCode('');
    setSentTo(undefined);
    send.reset();
    confirm.reset();
  }

  const label = isEmail ? t('home.email') : t('home.phone');
  const action = current
    ? t(isEmail ? 'profile.changeEmail' : 'profile.changePhone')
    : t(isEmail ? 'profile.addEmail' : 'profile.addPhone');
  const badAddress = fieldError(send.error, field, t(isEmail ? 'signUp.badEmail' : 'signUp.badPhone'));

  return (
    <div className={styles.form}>
      <div className={styles.row}>
        <span>
          <span className={styles.description}>{label}</span>
          <br />
          <strong>{current ?? '—'}</strong>
        </span>
        {!open && (
          <Button
            variant="secondary"
            onPress={() => {
              setChanged(undefined);
              setOpen(true);
            }}
          >
            {action}
          </Button>
        )}
      </div>
      {changed && (
        <Alert tone="ok">
          {t(isEmail ? 'profile.emailChanged' : 'profile.phoneChanged', { address: changed.address })}
          {changed.undo && <> {t('profile.undoSent')}</>}
        </Alert>
      )}
      {open && !sentTo && (
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            send.mutate(address.trim());
          }}
        >
          <p className={styles.description}>{t('profile.fresh')}</p>
          {send.isError && !badAddress && <Alert>{errorText(send.error)}</Alert>}
          <TextField
            label={t(isEmail ? 'profile.newEmail' : 'profile.newPhone')}
            type={isEmail ? 'email' : 'tel'}
            autoComplete={isEmail ? 'email' : 'tel'}
            description={isEmail ? undefined : t('signUp.phoneHint')}
            isRequired
            autoFocus
            value={address}
            onChange={setAddress}
            error={badAddress}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={send.isPending}>
              {send.isPending ? t('security.working') : t('profile.sendCode')}
            </Button>
            <Button variant="secondary" onPress={close}>
              {t('profile.cancel')}
            </Button>
          </div>
        </Form>
      )}
      {open && sentTo && (
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            confirm.mutate();
          }}
        >
          <Alert tone="ok">{t(isEmail ? 'signUp.codeSentEmail' : 'signUp.codeSentPhone', { address: sentTo })}</Alert>
          {confirm.isError && <Alert>{errorText(confirm.error)}</Alert>}
          {send.isError && <Alert>{errorText(send.error)}</Alert>}
          <TextField
            label={t('profile.code')}
            inputMode="numeric"
            autoComplete="one-time-code"
            isRequired
            autoFocus
            value={code}
            onChange={setCode}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={confirm.isPending}>
              {confirm.isPending ? t('security.working') : t('profile.confirm')}
            </Button>
            <Button variant="secondary" onPress={() => send.mutate(sentTo)} isDisabled={send.isPending}>
              {t('profile.newCode')}
            </Button>
            <Button
              variant="secondary"
              onPress={() => {
                setSentTo(undefined);
                confirm.reset();
              }}
            >
              {t('profile.other')}
            </Button>
          </div>
        </Form>
      )}
    </div>
  );
}
