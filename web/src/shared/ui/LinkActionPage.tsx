import type { UseMutationResult } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useErrorText } from '../i18n';
import { Alert, Button, styles, usePageTitle } from './index';

/**
 * The page a link of a message opens to act on the account (undo an address change, lock the account,
 * cancel a password reset). It asks before it acts: mail scanners open links, and opening one must change
 * nothing. Without its token it says at once that the link is not valid.
 */
export function LinkActionPage<T>(props: {
  title: string;
  token: string | undefined;
  /** Said when the link has no token, and the usual answer of the server to a bad one. */
  invalidText: string;
  intro: ReactNode;
  submit: string;
  /** The way out for a person who did ask for what the message tells of. */
  itWasMe: string;
  action: UseMutationResult<T, Error, void>;
  done: (data: T) => ReactNode;
  /** A failure's words, when the page knows better than the error code's catalogue entry. */
  failure?: (error: Error) => string;
}) {
  usePageTitle(props.title);
  const errorText = useErrorText();
  const { action } = props;
  return (
    <div className={styles.narrow}>
      <h1>{props.title}</h1>
      {action.isSuccess ? (
        props.done(action.data)
      ) : !props.token ? (
        <Alert>{props.invalidText}</Alert>
      ) : (
        <div className={styles.card}>
          {action.isError && <Alert>{props.failure ? props.failure(action.error) : errorText(action.error)}</Alert>}
          {props.intro}
          <div className={styles.actions}>
            <Button variant="danger" onPress={() => action.mutate()} isDisabled={action.isPending}>
              {props.submit}
            </Button>
            <Link to="/">{props.itWasMe}</Link>
          </div>
        </div>
      )}
    </div>
  );
}
