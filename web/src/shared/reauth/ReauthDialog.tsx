import { useEffect, useRef, useState } from 'react';
import { Dialog, Form, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok, setCsrfToken, setReauthPrompt } from '../api/client';
import { useErrorText } from '../i18n';
import { browserSupportsWebAuthn, PasskeyRefused, signWithPasskey } from '../passkeys';
import { factorOf } from '../second-factor';
import { Alert, Button, TextField, styles } from '../ui';
import dialogStyles from './reauth.module.css';

/**
 * The one re-authentication prompt of the portal: whatever call answers reauthentication_required waits
 * here while the person types their password (and a second factor when the account has one), then the
 * call is sent again. Mounted once, by the shell's ReauthHost, the first time a call needs it (it is not part
 * of the first page's JavaScript); onReady then hands over the registered prompt for that first call.
 */
export function ReauthDialog({ onReady }: { onReady?: (prompt: () => Promise<boolean>) => void } = {}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsFactor, setNeedsFactor] = useState(false);
  const [passkeyOffered, setPasskeyOffered] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [pending, setPending] = useState(false);
  const settle = useRef<((confirmed: boolean) => void) | undefined>(undefined);

  const ready = useRef(onReady);
  useEffect(() => {
    const prompt = () =>
      new Promise<boolean>((resolve) => {
        settle.current = resolve;
        setPassword('');
        setCode('');
        setNeedsFactor(false);
        setPasskeyOffered(false);
        setError(undefined);
        setOpen(true);
      });
    setReauthPrompt(prompt);
    // Once: StrictMode runs this effect twice in development.
    ready.current?.(prompt);
    ready.current = undefined;
    return () => setReauthPrompt(undefined);
  }, []);

  const finish = (confirmed: boolean) => {
    setOpen(false);
    settle.current?.(confirmed);
    settle.current = undefined;
  };

  const confirm = async (factor: () => Promise<Record<string, unknown>>) => {
    setPending(true);
    setError(undefined);
    try {
      const body = { password, ...(await factor()) };
      const { data } = await api.POST('/v1/session/reauth', { body });
      setCsrfToken(data?.csrfToken);
      finish(true);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'two_step.required') {
        setNeedsFactor(true);
        const methods = caught.problem.methods;
        setPasskeyOffered(Array.isArray(methods) && methods.includes('passkey') && browserSupportsWebAuthn());
      } else setError(caught);
    } finally {
      setPending(false);
    }
  };
  const submit = () => confirm(async () => (needsFactor ? factorOf(code) : {}));
  // A passkey of the account, instead of the code.
  const withPasskey = () =>
    confirm(async () => ({
      method: 'passkey',
      response: await signWithPasskey(ok(await api.POST('/v1/session/reauth/options'))),
    }));

  return (
    <ModalOverlay
      isOpen={open}
      onOpenChange={(isOpen) => {
        if (!isOpen) finish(false);
      }}
      isDismissable
      className={dialogStyles.overlay}
    >
      <Modal className={dialogStyles.modal}>
        <Dialog className={dialogStyles.dialog}>
          <Heading slot="title" level={2}>
            {t('reauth.title')}
          </Heading>
          <p>{t('reauth.intro')}</p>
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              void submit();
            }}
          >
            {error !== undefined && (
              <Alert>{error instanceof PasskeyRefused ? t('signIn.passkeyRefused') : errorText(error)}</Alert>
            )}
            <TextField
              label={t('signIn.password')}
              type="password"
              autoComplete="current-password"
              isRequired
              autoFocus
              value={password}
              onChange={setPassword}
            />
            {needsFactor && (
              <TextField
                label={t('secondFactor.code')}
                description={t('secondFactor.codeHint')}
                autoComplete="one-time-code"
                isRequired
                autoFocus
                value={code}
                onChange={setCode}
              />
            )}
            <div className={styles.actions}>
              <Button type="submit" isDisabled={pending}>
                {t('reauth.confirm')}
              </Button>
              {passkeyOffered && (
                <Button variant="secondary" onPress={() => void withPasskey()} isDisabled={pending}>
                  {t('secondFactor.usePasskey')}
                </Button>
              )}
              <Button variant="secondary" onPress={() => finish(false)}>
                {t('reauth.cancel')}
              </Button>
            </div>
          </Form>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
