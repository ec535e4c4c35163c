import { useMemo, useState } from 'react';
import { Input, Label, SearchField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import css from './cloud.module.css';
import { type Item, jsonSize, type ListedCollection, preview, textOf, useCollection } from './items';
import { Unreadable } from './Photos';
import { saveText, toVCard } from './vcard';

/** Loading, error, "more coming", unreadable and empty: what every list of the cloud says around its items. */
function States({
  list,
  collection,
  shown,
}: {
  list: ReturnType<typeof useCollection>;
  collection: ListedCollection;
  shown: number;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  return (
    <>
      {list.isError && <Alert>{errorText(list.error)}</Alert>}
      {list.isPending && (
        <p className={styles.muted} role="status">
          {t('shell.loading')}
        </p>
      )}
      {list.data && list.loadingMore && (
        <p className={styles.muted} role="status">
          {t('cloud.loadingMore', { count: list.items.length })}
        </p>
      )}
      <Unreadable ids={list.unreadable} />
      {list.data && !list.loadingMore && shown === 0 && list.items.length === 0 && list.unreadable.length === 0 && (
        <p className={styles.muted}>{t(`cloud.empty.${collection}`)}</p>
      )}
    </>
  );
}

export function Contacts() {
  const { t } = useTranslation();
  const list = useCollection('contacts');
  const [search, setSearch] = useState('');
  const named = useMemo(() => {
    const all = list.items.map((item) => ({
      item,
      name: textOf(item.data, 'name', 'displayName', 'fullName', 'fn') ?? item.id,
      phone: textOf(item.data, 'phone', 'phones', 'tel', 'number'),
      email: textOf(item.data, 'email', 'emails'),
    }));
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }, [list.items]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return needle
      ? named.filter((c) => `${c.name} ${c.phone ?? ''} ${c.email ?? ''}`.toLowerCase().includes(needle))
      : named;
  }, [named, search]);
  return (
    <>
      <States list={list} collection="contacts" shown={shown.length} />
      {list.items.length > 0 && (
        <SearchField className={`${styles.field} ${css.search}`} value={search} onChange={setSearch}>
          <Label className={styles.label}>{t('cloud.searchContacts')}</Label>
          <Input className={styles.input} />
        </SearchField>
      )}
      {list.items.length > 0 && !list.loadingMore && (
        <div className={`${styles.actions} ${css.search}`}>
          <Button variant="secondary" onPress={() => saveText('contacts.vcf', 'text/vcard', toVCard(named))}>
            {t('cloud.vcard', { count: named.length })}
          </Button>
        </div>
      )}
      {list.items.length > 0 && shown.length === 0 && <p className={styles.muted}>{t('cloud.noMatch')}</p>}
      <ul className={styles.list} aria-label={t('collections.contacts')}>
        {shown.map(({ item, name, phone, email }) => (
          <li key={item.id}>
            <strong>{name}</strong>
            {(phone || email) && <div className={css.meta}>{[phone, email].filter(Boolean).join(' · ')}</div>}
          </li>
        ))}
      </ul>
    </>
  );
}

export function Notes() {
  const format = useFormat();
  const list = useCollection('notes');
  const { t } = useTranslation();
  return (
    <>
      <States list={list} collection="notes" shown={list.items.length} />
      <ul className={styles.list} aria-label={t('collections.notes')}>
        {list.items.map((item) => {
          const title = textOf(item.data, 'title', 'subject', 'name');
          const body = textOf(item.data, 'text', 'body', 'content') ?? (title ? undefined : preview(item.data));
          return (
            <li key={item.id}>
              <strong>{title ?? item.id}</strong>
              <div className={css.meta}>{format.date(item.updatedAt)}</div>
              {body && <p className={css.body}>{body.length > 400 ? `${body.slice(0, 399)}…` : body}</p>}
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** Messages grouped by conversation (the item's conversation, thread or address), newest first. */
export function Messages() {
  const { t } = useTranslation();
  const format = useFormat();
  const list = useCollection('messages');
  const conversations = useMemo(() => {
    const groups = new Map<string, Item[]>();
    for (const item of list.items) {
      const key =
        textOf(item.data, 'conversation', 'thread', 'threadId', 'address', 'with', 'from') ?? t('cloud.noConversation');
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    return [...groups.entries()];
  }, [list.items, t]);
  return (
    <>
      <States list={list} collection="messages" shown={list.items.length} />
      {conversations.map(([name, items]) => (
        <section key={name} className={css.conversation} aria-label={t('cloud.conversation', { name })}>
          <h3>{t('cloud.conversation', { name })}</h3>
          <ul className={styles.list}>
            {items.map((item) => (
              <li key={item.id}>
                <div className={css.meta}>
                  {[
                    textOf(item.data, 'from', 'sender', 'author'),
                    format.date(textOf(item.data, 'sentAt', 'date', 'at') ?? item.updatedAt),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </div>
                <p className={css.body}>{textOf(item.data, 'text', 'body', 'content') ?? preview(item.data)}</p>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

/** App data: one item per app (named by the app's identifier), the largest first, with its size and last backup. */
export function AppData() {
  const { t } = useTranslation();
  const format = useFormat();
  const list = useCollection('app-data');
  const apps = useMemo(
    () =>
      list.items
        .map((item) => ({ item, size: jsonSize(item.data) }))
        .sort((a, b) => b.size - a.size || a.item.id.localeCompare(b.item.id)),
    [list.items],
  );
  return (
    <>
      <States list={list} collection="app-data" shown={apps.length} />
      <ul className={styles.list} aria-label={t('collections.app-data')}>
        {apps.map(({ item, size }) => (
          <li key={item.id} className={css.app}>
            <strong>{item.id}</strong>
            <div className={css.meta}>
              {t('cloud.appData', { size: format.bytes(size), date: format.date(item.updatedAt) })}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
