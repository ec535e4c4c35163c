import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import type { components } from '@shared/api/schema';
import { ApiError } from '@shared/api/client';
import { Button, Checkbox, RadioGroup, TextField, styles } from '@shared/ui';
import css from '../admin.module.css';
import { CheckboxList, linesOf, TextAreaField } from '../shell/fields';

export type App = components['schemas']['App'];
export type AppType = App['type'];
export type Scope = App['scopes'][number];
export const SCOPES: readonly Scope[] = [
  'openid',
  'profile',
  'email',
  'phone',
  'offline_access',
  'devices:read',
  'devices:write',
  'cloud.photos:read',
  'cloud.contacts:read',
  'credits:spend',
];

export interface AppFields {
  name: string;
  type: AppType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: Scope[];
  firstParty: boolean;
  disabled: boolean;
  /** An https URL of the app's logo; null: none. */
  logoUri: string | null;
}

/**
 * An app's logo, decorative beside its name (the name says which app it is). Loaded with no referrer,
 * so that the host of the image learns nothing of the console's pages.
 */
export function AppLogo({ src }: { src: string }) {
  return (
    <img className={css.logo} src={src} alt="" width={32} height={32} referrerPolicy="no-referrer" loading="lazy" />
  );
}

/**
 * The fields of an app, for registering one and for editing it. The type is chosen once, at
 * registration (it decides whether the app has a secret); an existing app shows it without a choice.
 */
export function AppForm({
  initial,
  editing,
  error,
  pending,
  submitLabel,
  onSubmit,
}: {
  initial: AppFields;
  editing: boolean;
  error: unknown;
  pending: boolean;
  submitLabel: string;
  onSubmit: (fields: AppFields) => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(initial.name);
  const [type, setType] = useState<AppType>(initial.type);
  const [redirects, setRedirects] = useState(initial.redirectUris.join('\n'));
  const [logouts, setLogouts] = useState(initial.postLogoutRedirectUris.join('\n'));
  const [scopes, setScopes] = useState<string[]>(initial.scopes);
  const [firstParty, setFirstParty] = useState(initial.firstParty);
  const [disabled, setDisabled] = useState(initial.disabled);
  const [logo, setLogo] = useState(initial.logoUri ?? '');
  // The server names a field as the schema sees it (/redirectUris/0) or as the rules do (body.redirectUris.0).
  // A field marked invalid blocks the form (native validation): the marks go once anything is edited.
  const [editedAfter, setEditedAfter] = useState<unknown>(undefined);
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      setEditedAfter(error);
      set(value);
    };
  const invalid = (field: string) =>
    editedAfter !== error &&
    error instanceof ApiError &&
    error.code === 'validation_failed' &&
    error.problem.errors?.some((e) => e.path.split(/[./]/).includes(field))
      ? t(`admin.apps.invalid.${field}`)
      : undefined;

  return (
    <Form
      className={styles.form}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit({
          name: name.trim(),
          type,
          redirectUris: linesOf(redirects),
          postLogoutRedirectUris: linesOf(logouts),
          scopes: scopes as Scope[],
          firstParty,
          disabled,
          logoUri: logo.trim() || null,
        });
      }}
    >
      <TextField
        label={t('admin.apps.name')}
        name="name"
        isRequired
        value={name}
        onChange={edit(setName)}
        error={invalid('name')}
      />
      {editing ? (
        <p>
          <span className={styles.label}>{t('admin.apps.type')}:</span> {t(`admin.apps.types.${type}`)}
        </p>
      ) : (
        <RadioGroup
          label={t('admin.apps.type')}
          value={type}
          onChange={edit((value: string) => setType(value as AppType))}
          options={(['web', 'spa', 'native'] as const).map((value) => ({
            value,
            label: t(`admin.apps.types.${value}`),
          }))}
        />
      )}
      <TextAreaField
        label={t('admin.apps.redirectUris')}
        description={t('admin.apps.oneALine')}
        name="redirectUris"
        isRequired
        value={redirects}
        onChange={edit(setRedirects)}
        error={invalid('redirectUris')}
      />
      <TextAreaField
        label={t('admin.apps.postLogoutUris')}
        description={t('admin.apps.oneALine')}
        name="postLogoutRedirectUris"
        value={logouts}
        onChange={edit(setLogouts)}
        error={invalid('postLogoutRedirectUris')}
      />
      <TextField
        label={t('admin.apps.logo')}
        description={t('admin.apps.logoHint')}
        name="logoUri"
        type="url"
        value={logo}
        onChange={edit(setLogo)}
        error={invalid('logoUri')}
      />
      <CheckboxList label={t('admin.apps.scopes')} value={scopes} onChange={edit(setScopes)}>
        {SCOPES.map((scope) => (
          <Checkbox key={scope} value={scope} isDisabled={scope === 'openid'}>
            {scope}
          </Checkbox>
        ))}
      </CheckboxList>
      <Checkbox isSelected={firstParty} onChange={edit(setFirstParty)}>
        {t('admin.apps.firstParty')}
      </Checkbox>
      {editing && (
        <Checkbox isSelected={disabled} onChange={edit(setDisabled)}>
          {t('admin.apps.disabled')}
        </Checkbox>
      )}
      <div className={styles.actions}>
        <Button type="submit" isDisabled={pending}>
          {submitLabel}
        </Button>
      </div>
    </Form>
  );
}
