import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { TableWrap } from '../shell/fields';
import css from '../admin.module.css';

type Role = 'support' | 'admin';

/** Admins: who is staff and with which role; making a person's account staff, changing a role, removing one. */
export default function StaffPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.staff.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('support');
  const staff = useQuery({
    queryKey: ['admin', 'staff'],
    queryFn: async () => ok(await api.GET('/v1/admin/staff')).staff,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin', 'staff'] });
  const add = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/admin/staff', { body: { email: email.trim(), role } })),
    onSuccess: async () => {
      setEmail('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async (accountId: string) =>
      ok(await api.DELETE('/v1/admin/staff/{accountId}', { params: { path: { accountId } } })),
    onSettled: refresh,
  });

  return (
    <>
      <h1>{t('admin.staff.title')}</h1>
      <Card title={t('admin.staff.members')}>
        {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
        {remove.isSuccess && <Alert tone="ok">{t('admin.staff.removed')}</Alert>}
        {staff.isError && <Alert>{errorText(staff.error)}</Alert>}
        {staff.data && (
          <TableWrap label={t('admin.staff.members')}>
            <table className={css.table}>
              <thead>
                <tr>
                  <th scope="col">{t('home.email')}</th>
                  <th scope="col">{t('admin.staff.role')}</th>
                  <th scope="col">{t('admin.account.twoStep')}</th>
                  <th scope="col">{t('admin.webhooks.action')}</th>
                </tr>
              </thead>
              <tbody>
                {staff.data.map((member) => (
                  <tr key={member.id}>
                    <td>
                      {member.email ?? member.id}
                      <br />
                      <span className={styles.description}>{format.date(member.createdAt)}</span>
                    </td>
                    <td>{t(`admin.roles.${member.role}`)}</td>
                    <td>{member.secondFactor ? t('admin.account.on') : t('admin.account.off')}</td>
                    <td>
                      <Button
                        variant="secondary"
                        onPress={() => remove.mutate(member.id)}
                        isDisabled={remove.isPending}
                        aria-label={t('admin.staff.removeOne', { who: member.email ?? member.id })}
                      >
                        {t('admin.staff.remove')}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
      <Card title={t('admin.staff.add')}>
        {add.isError && <Alert>{errorText(add.error)}</Alert>}
        {add.isSuccess && (
          <Alert tone="ok">
            {t('admin.staff.added', { who: add.data.email ?? add.data.id, role: t(`admin.roles.${add.data.role}`) })}
          </Alert>
        )}
        <p>{t('admin.staff.addHint')}</p>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <TextField label={t('home.email')} name="email" type="email" isRequired value={email} onChange={setEmail} />
          <RadioGroup
            label={t('admin.staff.role')}
            value={role}
            onChange={(value) => setRole(value as Role)}
            options={(['support', 'admin'] as const).map((value) => ({
              value,
              label: t(`admin.staff.roles.${value}`),
            }))}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={add.isPending}>
              {t('admin.staff.addButton')}
            </Button>
          </div>
        </Form>
      </Card>
    </>
  );
}
