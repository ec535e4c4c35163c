import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { browserSupportsWebAuthn, createPasskey, PasskeyRefused } from '@shared/passkeys';
import { Alert, Button, TextField, styles } from '@shared/ui';
import { CodesShownOnce } from './CodesShownOnce';
import { ConfirmDialog } from './ConfirmDialog';
import { securityChanged } from './queries';
import { Section } from './Section';

interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Passkeys: the list, adding one with this browser or a security key (named by the person), removing one. */
export function PasskeysSection({ passkeys }: { passkeys: Passkey[] }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const [removing, setRemoving] = useState<Passkey | undefined>(undefined);
  const supported = browserSupportsWebAuthn();

  const add = useMutation({
    mutationFn: async () => {
      const response = await createPasskey(ok(await api.POST('/v1/me/passkeys/options')));
      return ok(await api.POST('/v1/me/passkeys', { body: { name: name.trim(), response } }));
    },
    onSuccess: async (answer) => {
      setName('');
      setCodes(answer.recoveryCodes);
      await securityChanged(queryClient);
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => {
      await api.DELETE('/v1/me/passkeys/{id}', { params: { path: { id } } });
    },
    onSuccess: () => securityChanged(queryClient),
  });

  return (
    <Section id="passkeys" title={t('security.passkeys.title')}>
      <p>{t('security.passkeys.intro')}</p>
      {codes && <CodesShownOnce codes={codes} onDone={() => setCodes(undefined)} />}
      {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
      {remove.isSuccess && <Alert tone="ok">{t('security.passkeys.removed')}</Alert>}
      {passkeys.length === 0 ? (
        <p className={styles.muted}>{t('security.passkeys.none')}</p>
      ) : (
        <ul className={styles.list}>
          {passkeys.map((passkey) => (
            <li key={passkey.id} className={styles.row}>
              <span>
                <strong>{passkey.name}</strong>
                <br />
                <span className={styles.description}>
                  {t('security.passkeys.added', { when: format.date(passkey.createdAt) })} ·{' '}
                  {passkey.lastUsedAt
                    ? t('security.passkeys.used', { when: format.date(passkey.lastUsedAt) })
                    : t('security.passkeys.neverUsed')}
                </span>
              </span>
              <Button
                variant="secondary"
                onPress={() => setRemoving(passkey)}
                isDisabled={remove.isPending}
                aria-label={t('security.passkeys.removeOne', { name: passkey.name })}
              >
                {t('security.passkeys.remove')}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {supported ? (
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          {add.isError && (
            <Alert>{add.error instanceof PasskeyRefused ? t('security.passkeys.refused') : errorText(add.error)}</Alert>
          )}
          {add.isSuccess && !codes && <Alert tone="ok">{t('security.passkeys.addedNow')}</Alert>}
          <TextField
            label={t('security.passkeys.name')}
            description={t('security.passkeys.nameHint')}
            isRequired
            maxLength={100}
            value={name}
            onChange={setName}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={add.isPending}>
              {add.isPending ? t('security.passkeys.waiting') : t('security.passkeys.add')}
            </Button>
          </div>
        </Form>
      ) : (
        <p className={styles.muted}>{t('security.passkeys.unsupported')}</p>
      )}
      <ConfirmDialog
        isOpen={removing !== undefined}
        title={t('security.passkeys.removeTitle', { name: removing?.name ?? '' })}
        confirm={t('security.passkeys.removeConfirm')}
        onConfirm={() => {
          if (removing) remove.mutate(removing.id);
          setRemoving(undefined);
        }}
        onCancel={() => setRemoving(undefined)}
      >
        <p>{t('security.passkeys.removeWarning')}</p>
      </ConfirmDialog>
    </Section>
  );
}
