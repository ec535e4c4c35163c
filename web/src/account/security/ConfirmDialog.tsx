import type { ReactNode } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import dialogStyles from '@shared/reauth/reauth.module.css';
import { Button, styles } from '@shared/ui';

/**
 * Asks before a change that cannot simply be taken back; Escape or Cancel leaves everything as it was. The
 * caller closes it as the change starts, so that the shared re-authentication prompt never opens over it.
 */
export function ConfirmDialog({
  isOpen,
  title,
  children,
  confirm,
  onConfirm,
  onCancel,
}: {
  isOpen: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  return (
    <ModalOverlay
      isOpen={isOpen}
      onOpenChange={(open) => {
        if (!open) onCancel();
      }}
      isDismissable
      className={dialogStyles.overlay}
    >
      <Modal className={dialogStyles.modal}>
        <Dialog className={dialogStyles.dialog} role="alertdialog">
          <Heading slot="title" level={2}>
            {title}
          </Heading>
          {children}
          <div className={styles.actions}>
            <Button variant="danger" onPress={onConfirm}>
              {confirm}
            </Button>
            <Button variant="secondary" onPress={onCancel} autoFocus>
              {t('security.cancel')}
            </Button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
