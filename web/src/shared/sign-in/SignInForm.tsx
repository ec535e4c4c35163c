import { type ReactNode, useState } from 'react';
import { api, ApiError, ok } from '@shared/api/client';
import { errorTextOf } from '@shared/i18n/text';
import { browserSupportsWebAuthn, PasskeyRefused, signWithPasskey } from '@shared/passkeys';
import { factorOf } from '@shared/second-factor';
// Native controls, not React Aria, no i18next and no TanStack Query: the sign-in page is an entry of its
// own with React alone (JavaScript budget 100 KiB); vite.config.ts fails the build if one of them creeps in.
import { Alert, NativeButton as Button, NativeTextField as TextField, styles, usePageTitle } from '@shared/ui/native';
import { useAction } from './action';

/** The catalogue's words, as whoever renders the form has them (keys signIn.*, secondFactor.*, errors.*). */
export interface SignInWords {
  t: (key: string) => string;
  exists: (key: string) => boolean;
}

export interface SignInFormProps {
  words: SignInWords;
  /** The page's heading and title. */
  title: string;
  /** Shown above the form: notices (signed out, session ended) and an introduction. */
  before?: ReactNode;
  /** Beside the submit button (the portal's "forgot password" link). */
  actions?: ReactNode;
  /** Under the form (the portal's links to create an account and check a device). */
  after?: ReactNode;
  /** Also offer signing in with a passkey alone, when the browser can. */
  passwordless?: boolean;
  /** Once the session is there (after the second step when the account has one). */
  onSignedIn: () => Promise<unknown>;
}

/**
 * The one sign-in form, of the portal (/sign-in) and of the staff console (/admin): the login and the
 * password (POST /v1/sessions, cookie session), then the second step when the account has one (a code
 * from the authenticator app or a recovery code, or a passkey).
 */
export function SignInForm({
  words,
  title,
  before,
  actions,
  after,
  passwordless = false,
  onSignedIn,
}: SignInFormProps) {
  const { t } = words;
  usePageTitle(title);
  const errorText = (error: unknown) => errorTextOf(error, t, words.exists);
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  // Set when the password was right and the account asks for its second factor.
  const [challenge, setChallenge] = useState<
    { challengeId: string; methods: string[]; passkeyOptions?: unknown } | undefined
  >(undefined);
  const passkeys = browserSupportsWebAuthn();

  const signIn = useAction(
    async () => ok(await api.POST('/v1/sessions', { body: { login: login.trim(), password, kind: 'web' } })),
    {
      onSuccess: async (answer) => {
        if ('secondFactor' in answer && answer.secondFactor) {
          setChallenge(answer.secondFactor);
          return;
        }
        await onSignedIn();
      },
    },
  );
  const secondStep = useAction(
    async () =>
      ok(
        await api.POST('/v1/sessions/second-factor', {
          body: { challengeId: challenge!.challengeId, ...factorOf(code) },
        }),
      ),
    {
      onSuccess: onSignedIn,
      onError: (error) => {
        // The step expired or had too many wrong codes: back to the password.
        if (
          error instanceof ApiError &&
          (error.code === 'two_step.challenge_invalid' || error.code === 'two_step.too_many_attempts')
        )
          setChallenge(undefined);
      },
    },
  );

  // Passwordless: a passkey verifies the person on its own (the server asks user verification for it).
  const withPasskey = useAction(
    async () => {
      const response = await signWithPasskey(ok(await api.POST('/v1/sessions/passkey/options')));
      return ok(await api.POST('/v1/sessions/passkey', { body: { response, kind: 'web' } }));
    },
    { onSuccess: onSignedIn },
  );
  const secondWithPasskey = useAction(
    async () => {
      const response = await signWithPasskey(challenge!.passkeyOptions);
      return ok(
        await api.POST('/v1/sessions/second-factor', {
          body: { challengeId: challenge!.challengeId, method: 'passkey', response },
        }),
      );
    },
    { onSuccess: onSignedIn },
  );
  const passkeyError = (error: unknown) =>
    error instanceof PasskeyRefused ? t('signIn.passkeyRefused') : errorText(error);

  if (challenge) {
    const byPasskey = passkeys && challenge.methods.includes('passkey') && challenge.passkeyOptions !== undefined;
    const byCode = challenge.methods.includes('totp') || challenge.methods.includes('recovery_code');
    return (
      <div className={styles.narrow}>
        <h1>{t('secondFactor.title')}</h1>
        <div className={styles.card}>
          <form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              secondStep.start();
            }}
          >
            {secondStep.isError && <Alert>{errorText(secondStep.error)}</Alert>}
            {secondWithPasskey.isError && <Alert>{passkeyError(secondWithPasskey.error)}</Alert>}
            <p>
              {byCode
                ? t('secondFactor.intro')
                : byPasskey
                  ? t('secondFactor.passkeyIntro')
                  : t('secondFactor.passkeyOnly')}
            </p>
            {byCode && (
              <TextField
                label={t('secondFactor.code')}
                description={t('secondFactor.codeHint')}
                name="code"
                autoComplete="one-time-code"
                required
                autoFocus
                value={code}
                onValueChange={setCode}
              />
            )}
            <div className={styles.actions}>
              {byCode && (
                <Button type="submit" disabled={secondStep.isPending}>
                  {t('secondFactor.submit')}
                </Button>
              )}
              {byPasskey && (
                <Button
                  variant={byCode ? 'secondary' : 'primary'}
                  onClick={() => secondWithPasskey.start()}
                  disabled={secondWithPasskey.isPending}
                >
                  {t('secondFactor.usePasskey')}
                </Button>
              )}
              <Button
                variant="secondary"
                onClick={() => {
                  setChallenge(undefined);
                  setCode('');
                  secondStep.reset();
                }}
              >
                {t('secondFactor.back')}
              </Button>
            </div>
          </form>
        </div>
      </div>
    );
  }

  return (
    <div className={styles.narrow}>
      <h1>{title}</h1>
      {before}
      <div className={styles.card}>
        <form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            signIn.start();
          }}
        >
          {signIn.isError && <Alert>{errorText(signIn.error)}</Alert>}
          {withPasskey.isError && <Alert>{passkeyError(withPasskey.error)}</Alert>}
          <TextField
            label={t('signIn.login')}
            name="username"
            autoComplete="username"
            required
            value={login}
            onValueChange={setLogin}
          />
          <TextField
            label={t('signIn.password')}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onValueChange={setPassword}
          />
          <div className={styles.actions}>
            <Button type="submit" disabled={signIn.isPending}>
              {t('signIn.submit')}
            </Button>
            {actions}
          </div>
          {passwordless && passkeys && (
            <div className={styles.actions}>
              <Button variant="secondary" onClick={() => withPasskey.start()} disabled={withPasskey.isPending}>
                {t('signIn.withPasskey')}
              </Button>
            </div>
          )}
        </form>
      </div>
      {after}
    </div>
  );
}
