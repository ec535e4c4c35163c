// Plain-text messages, one per kind and locale. A message that carries a code carries it as the only
// 6-digit number in its text (API.md), so nothing else in a code message may be six digits in a row.

export type Locale = 'en' | 'es';
export const LOCALES: readonly Locale[] = ['en', 'es'];

export interface MessageParams {
  signup_code: { code: string; minutes: number };
  signup_already_registered: Record<string, never>;
  address_change_code: { code: string; minutes: number; field: 'email' | 'phone' };
  address_changed: { field: 'email' | 'phone'; newAddress: string };
  address_changed_undo: {
    field: 'email' | 'phone';
    newAddress: string;
    undoUrl: string;
    days: number;
    lockUrl: string;
  };
  password_changed: Record<string, never>;
  new_client_sign_in: { client: string; ip: string; at: string; lockUrl: string; days: number };
  device_linked: { model: string; name: string; at: string };
  bootloader_unlock_authorised: { model: string; name: string; at: string; expiresAt: string };
  recovery_code: { code: string; minutes: number };
  password_recovered: { via: 'email' | 'phone'; ip: string; at: string };
  deletion_code: { code: string; seconds: number };
  account_deleted: { at: string; keptLocks: number };
  account_deletion_scheduled: { at: string; eraseAt: string; cancelUrl: string };
  unlock_request_received: { statusUrl: string };
  unlock_request_owner_notice: { serialHint: string; releaseAt: string; requestId: string; objectUrl: string };
  unlock_request_approved: { releaseAt: string; statusUrl: string };
  unlock_request_rejected: { statusUrl: string };
  unlock_request_objected: { statusUrl: string };
  unlock_request_released: { serialHint: string };
  unlock_device_released: { serialHint: string; at: string };
  two_step_changed: { change: TwoStepChange; at: string };
  recovery_codes_low: { remaining: number };
  account_locked: { at: string; ip: string };
  account_suspended: { at: string; reason: string };
  account_restored: { at: string; reason: string };
  recovery_waiting: { completesAt: string; ip: string; cancelUrl: string };
}

/** What changed in a person's two-step verification, as the notice names it. */
export type TwoStepChange =
  | 'totp_added'
  | 'totp_removed'
  | 'passkey_added'
  | 'passkey_removed'
  | 'recovery_codes_renewed';

const changeName: Record<'en' | 'es', Record<TwoStepChange, string>> = {
  en: {
    totp_added: 'An authenticator app was added',
    totp_removed: 'The authenticator app was removed',
    passkey_added: 'A passkey was added',
    passkey_removed: 'A passkey was removed',
    recovery_codes_renewed: 'A new set of recovery codes was made (the old codes no longer work)',
  },
  es: {
    totp_added: 'Se ha añadido una aplicación de autenticación',
    totp_removed: 'Se ha quitado la aplicación de autenticación',
    passkey_added: 'Se ha añadido una llave de acceso',
    passkey_removed: 'Se ha quitado una llave de acceso',
    recovery_codes_renewed: 'Se ha creado un nuevo juego de códigos de recuperación (los anteriores ya no sirven)',
  },
};

export type MessageKind = keyof MessageParams;

export interface RenderedMessage {
  subject: string;
  text: string;
}

type Templates = { [K in MessageKind]: (p: MessageParams[K]) => RenderedMessage };

const fieldName = {
  en: { email: 'email address', phone: 'phone number' },
  es: { email: 'correo electrónico', phone: 'número de teléfono' },
};

const en: Templates = {
  signup_code: (p) => ({
    subject: 'Your Lanyard sign-up code',
    text: `Your code to create a Lanyard account is ${p.code}. It is valid for ${p.minutes} minutes.\n\nIf you did not ask for it, ignore this message: no account is created without the code.`,
  }),
  signup_already_registered: () => ({
    subject: 'Someone tried to sign up with your address',
    text: 'Someone tried to create a Lanyard account with this address, which already has one.\n\nIf it was you, sign in instead, or use "Forgot password". If it was not you, you need do nothing: your account is unchanged.',
  }),
  address_change_code: (p) => ({
    subject: `Confirm your new ${fieldName.en[p.field]}`,
    text: `Your code to add this ${fieldName.en[p.field]} to your Lanyard account is ${p.code}. It is valid for ${p.minutes} minutes.\n\nIf you did not ask for it, ignore this message.`,
  }),
  address_changed: (p) => ({
    subject: `Your Lanyard ${fieldName.en[p.field]} was changed`,
    text: `The ${fieldName.en[p.field]} of your Lanyard account was changed to ${p.newAddress}.\n\nIf you did not do this, reset your password at once with "Forgot password" and review your sessions.`,
  }),
  address_changed_undo: (p) => ({
    subject: `Your Lanyard ${fieldName.en[p.field]} was changed`,
    text: `The ${fieldName.en[p.field]} of your Lanyard account was changed to ${p.newAddress}.\n\nIf you did not do this, open this link within ${p.days} days: it puts this ${fieldName.en[p.field]} back and signs out every session of the account.\n\n${p.undoUrl}\n\nThen reset your password with "Forgot password".\n\nIf you cannot get into your account at all, lock it: every session and app ends and nobody can sign in until you reset the password (valid ${p.days} days, once):\n\n${p.lockUrl}`,
  }),
  password_changed: () => ({
    subject: 'Your Lanyard password was changed',
    text: 'The password of your Lanyard account was changed, and your other sessions were signed out.\n\nIf you did not do this, reset your password at once with "Forgot password".',
  }),
  new_client_sign_in: (p) => ({
    subject: 'New sign-in to your Lanyard account',
    text: `Your Lanyard account was signed in from a client it had not seen before:\n\n  client: ${p.client}\n  IP address: ${p.ip}\n  time: ${p.at}\n\nIf this was you, you need do nothing. If not, change your password and end that session in your account's security page.\n\nIf you cannot get into your account, lock it: every session and app ends and nobody can sign in until you reset the password with "Forgot password" (valid ${p.days} days, once):\n\n${p.lockUrl}`,
  }),
  bootloader_unlock_authorised: (p) => ({
    subject: `Your ${p.model} may now unlock its bootloader`,
    text: `Your ${p.model} ("${p.name}") asked for and received an authorisation to unlock its bootloader at ${p.at}. It is valid until ${p.expiresAt}. An unlocked bootloader lets the device run software that Lanyard and its maker did not sign.\n\nIf this was you, you need do nothing. If not, someone may have your device: put it in lost mode (lock it) from your account's devices page and change your password.`,
  }),
  device_linked: (p) => ({
    subject: `A new ${p.model} was linked to your Lanyard account`,
    text: `A new ${p.model} ("${p.name}") was linked to your Lanyard account at ${p.at}. It is now locked to your account.\n\nIf this was you, you need do nothing. If not, change your password and remove the device from your account's devices page.`,
  }),
  recovery_code: (p) => ({
    subject: 'Your Lanyard password reset code',
    text: `Your code to reset the password of your Lanyard account is ${p.code}. It is valid for ${p.minutes} minutes.\n\nIf you did not ask for it, do not give it to anyone and ignore this message: your password stays as it is, and nobody can reset it without this code.`,
  }),
  password_recovered: (p) => ({
    subject: 'Your Lanyard password was reset',
    text: `The password of your Lanyard account was reset with a code sent to your ${fieldName.en[p.via]}:\n\n  IP address: ${p.ip}\n  time: ${p.at}\n\nEvery signed-in session was ended. Your cloud data stays, and your devices stay linked and signed in.\n\nIf you did not do this, someone can read your ${fieldName.en[p.via]}: reset your password again at once with "Forgot password", secure that ${fieldName.en[p.via]}, and remove any device you do not recognise from your account's devices page.`,
  }),
  deletion_code: (p) => ({
    subject: 'Your code to delete your Lanyard account',
    text: `Your code to delete your Lanyard account and all its data permanently is ${p.code}. It is valid for ${p.seconds} seconds. Once confirmed, the deletion cannot be undone.\n\nIf you did not ask for it, someone who knows your password is trying to delete your account: do not give this code to anyone, change your password at once, and end the sessions you do not recognise in your account's security page. Without this code nothing is deleted.`,
  }),
  account_deleted: (p) => ({
    subject: 'Your Lanyard account was deleted',
    text: `Your Lanyard account was deleted at ${p.at}, as you asked. Its cloud data (contacts, notes, messages, app data, photos), devices, sessions and history are being erased for good, and this address is free for a new account.${
      p.keptLocks > 0
        ? `\n\n${p.keptLocks === 1 ? 'One device stays' : `${p.keptLocks} devices stay`} locked, as you chose: only an unlock request can release ${p.keptLocks === 1 ? 'it' : 'them'}.`
        : ''
    }\n\nThis is the last message you will receive about this account. If you did not ask for this, contact support at once: a deleted account cannot be brought back.`,
  }),
  account_deletion_scheduled: (p) => ({
    subject: 'Your Lanyard account will be deleted',
    text: `Your Lanyard account was closed at ${p.at}, as you asked, and will be erased for good at ${p.eraseAt}. Until then nobody can sign in to it.\n\nTo keep your account, open this link before then:\n\n  ${p.cancelUrl}\n\nIf you did not ask for this, open the link now, then change your password.`,
  }),
  unlock_request_received: (p) => ({
    subject: 'We received your device unlock request',
    text: `We received your request to unlock a device. Our support staff will review it and its proof, and we will write to you at this address when they decide.\n\nYou can follow it here:\n\n  ${p.statusUrl}\n\nIf you did not send this request, ignore this message.`,
  }),
  unlock_request_owner_notice: (p) => ({
    subject: 'Someone asked to unlock a device locked to your Lanyard account',
    text: `Someone who holds the device with serial number ending in ${p.serialHint}, which is locked to your Lanyard account, asked us to release its lock, and our support staff accepted their proof.\n\nThe lock will be released at ${p.releaseAt}, and the device will leave your account, unless you object before then.\n\nIf you sold or gave away this device, you need do nothing. If it is still yours, or was lost or stolen, sign in and object to request ${p.requestId}:\n\n  ${p.objectUrl}`,
  }),
  unlock_request_approved: (p) => ({
    subject: 'Your device unlock request was approved',
    text: `Our support staff approved your request to unlock a device. Its account's owner has been told, and the lock will be released at ${p.releaseAt} unless the owner objects before then. We will write to you again at that time.\n\nYou can follow it here:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_rejected: (p) => ({
    subject: 'Your device unlock request was not approved',
    text: `Our support staff could not approve your request to unlock a device with the proof you sent, and the device stays locked.\n\nIf you have a better proof of purchase, you may send a new request. The request's status is here:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_objected: (p) => ({
    subject: 'Your device unlock request was stopped by the owner',
    text: `The owner of the account that the device is locked to objected to your request, so the device stays locked. If you bought the device, ask the seller to remove it from their account.\n\nThe request's status is here:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_released: (p) => ({
    subject: 'Your device is unlocked',
    text: `The lock of the device with serial number ending in ${p.serialHint} was released, as your unlock request asked. You can now set it up with your own account.`,
  }),
  unlock_device_released: (p) => ({
    subject: 'A device left your Lanyard account after an unlock request',
    text: `The device with serial number ending in ${p.serialHint} was released from your Lanyard account at ${p.at}: an unlock request for it was approved, and nobody objected in the waiting period. Its lock is gone and it was signed out.\n\nIf you did not expect this, contact support.`,
  }),
  two_step_changed: (p) => ({
    subject: 'Your Lanyard two-step verification changed',
    text: `${changeName.en[p.change]} on your Lanyard account at ${p.at}.\n\nIf this was you, you need do nothing. If not, lock your account at once from any signed-in session (Security, "Lock my account"), then reset your password with "Forgot password".`,
  }),
  recovery_codes_low: (p) => ({
    subject: 'Your Lanyard recovery codes are running out',
    text: `Your Lanyard account has ${p.remaining === 0 ? 'no' : `only ${p.remaining}`} unused recovery code${p.remaining === 1 ? '' : 's'} left. Recovery codes let you sign in when you do not have your authenticator app or passkey.\n\nMake a new set in your account's security page (the old codes then stop working) and keep it somewhere safe.`,
  }),
  account_locked: (p) => ({
    subject: 'Your Lanyard account is locked',
    text: `Your Lanyard account was locked at ${p.at} (from IP address ${p.ip}). Every signed-in session and every app's access ended, and nobody can sign in. Your devices stay locked to your account.\n\nTo open it again, reset your password with "Forgot password"; if the account has two-step verification, that also asks your second factor or a recovery code.`,
  }),
  account_suspended: (p) => ({
    subject: 'Your Lanyard account is suspended',
    text: `Lanyard support suspended your account at ${p.at} (reason: ${p.reason}). Every signed-in session ended and nobody can sign in until support restores the account. Your devices stay locked to your account and your data is kept.\n\nIf you think this is a mistake, reply to this message or contact Lanyard support.`,
  }),
  account_restored: (p) => ({
    subject: 'Your Lanyard account is restored',
    text: `Lanyard support restored your account at ${p.at} (reason: ${p.reason}). You can sign in again.`,
  }),
  recovery_waiting: (p) => ({
    subject: 'Your Lanyard password will be reset without two-step verification',
    text: `Someone reset the password of your Lanyard account with a code (from IP address ${p.ip}) without your second factor or a recovery code. Unless you cancel it, on ${p.completesAt} the new password takes effect, two-step verification is turned off and every signed-in session ends.\n\nIf this was you, you need do nothing but wait. If it was not, cancel it now:\n\n${p.cancelUrl}\n\nthen change your password and secure your email and phone.`,
  }),
};

const es: Templates = {
  signup_code: (p) => ({
    subject: 'Tu código de registro de Lanyard',
    text: `Tu código para crear una cuenta de Lanyard es ${p.code}. Es válido durante ${p.minutes} minutos.\n\nSi no lo has pedido, ignora este mensaje: sin el código no se crea ninguna cuenta.`,
  }),
  signup_already_registered: () => ({
    subject: 'Alguien intentó registrarse con tu dirección',
    text: 'Alguien intentó crear una cuenta de Lanyard con esta dirección, que ya tiene una.\n\nSi fuiste tú, inicia sesión o usa "He olvidado mi contraseña". Si no fuiste tú, no tienes que hacer nada: tu cuenta no ha cambiado.',
  }),
  address_change_code: (p) => ({
    subject: `Confirma tu nuevo ${fieldName.es[p.field]}`,
    text: `Tu código para añadir este ${fieldName.es[p.field]} a tu cuenta de Lanyard es ${p.code}. Es válido durante ${p.minutes} minutos.\n\nSi no lo has pedido, ignora este mensaje.`,
  }),
  address_changed: (p) => ({
    subject: `Se ha cambiado el ${fieldName.es[p.field]} de tu cuenta de Lanyard`,
    text: `El ${fieldName.es[p.field]} de tu cuenta de Lanyard se ha cambiado a ${p.newAddress}.\n\nSi no has sido tú, restablece tu contraseña ahora con "He olvidado mi contraseña" y revisa tus sesiones.`,
  }),
  address_changed_undo: (p) => ({
    subject: `Se ha cambiado el ${fieldName.es[p.field]} de tu cuenta de Lanyard`,
    text: `El ${fieldName.es[p.field]} de tu cuenta de Lanyard se ha cambiado a ${p.newAddress}.\n\nSi no has sido tú, abre este enlace antes de ${p.days} días: vuelve a poner este ${fieldName.es[p.field]} y cierra todas las sesiones de la cuenta.\n\n${p.undoUrl}\n\nDespués restablece tu contraseña con "He olvidado mi contraseña".\n\nSi no puedes entrar en tu cuenta, bloquéala: se cierran todas las sesiones y aplicaciones y nadie puede iniciar sesión hasta que restablezcas la contraseña (válido ${p.days} días, una vez):\n\n${p.lockUrl}`,
  }),
  password_changed: () => ({
    subject: 'Se ha cambiado la contraseña de tu cuenta de Lanyard',
    text: 'Se ha cambiado la contraseña de tu cuenta de Lanyard y se han cerrado tus otras sesiones.\n\nSi no has sido tú, restablece tu contraseña ahora con "He olvidado mi contraseña".',
  }),
  new_client_sign_in: (p) => ({
    subject: 'Nuevo inicio de sesión en tu cuenta de Lanyard',
    text: `Se ha iniciado sesión en tu cuenta de Lanyard desde un cliente que no conocíamos:\n\n  cliente: ${p.client}\n  dirección IP: ${p.ip}\n  hora: ${p.at}\n\nSi has sido tú, no tienes que hacer nada. Si no, cambia tu contraseña y cierra esa sesión en la página de seguridad de tu cuenta.\n\nSi no puedes entrar en tu cuenta, bloquéala: se cierran todas las sesiones y aplicaciones y nadie puede iniciar sesión hasta que restablezcas la contraseña con "He olvidado mi contraseña" (válido ${p.days} días, una vez):\n\n${p.lockUrl}`,
  }),
  bootloader_unlock_authorised: (p) => ({
    subject: `Tu ${p.model} ya puede desbloquear su gestor de arranque`,
    text: `Tu ${p.model} ("${p.name}") ha pedido y recibido una autorización para desbloquear su gestor de arranque el ${p.at}. Es válida hasta el ${p.expiresAt}. Un gestor de arranque desbloqueado permite al dispositivo ejecutar software que ni Lanyard ni su fabricante han firmado.\n\nSi has sido tú, no tienes que hacer nada. Si no, puede que alguien tenga tu dispositivo: ponlo en modo perdido (bloquéalo) desde la página de dispositivos de tu cuenta y cambia tu contraseña.`,
  }),
  device_linked: (p) => ({
    subject: `Se ha vinculado un nuevo ${p.model} a tu cuenta de Lanyard`,
    text: `Se ha vinculado un nuevo ${p.model} ("${p.name}") a tu cuenta de Lanyard el ${p.at}. Ahora está bloqueado a tu cuenta.\n\nSi has sido tú, no tienes que hacer nada. Si no, cambia tu contraseña y quita el dispositivo en la página de dispositivos de tu cuenta.`,
  }),
  recovery_code: (p) => ({
    subject: 'Tu código para restablecer la contraseña de Lanyard',
    text: `Tu código para restablecer la contraseña de tu cuenta de Lanyard es ${p.code}. Es válido durante ${p.minutes} minutos.\n\nSi no lo has pedido, no se lo des a nadie e ignora este mensaje: tu contraseña sigue igual y nadie puede restablecerla sin este código.`,
  }),
  password_recovered: (p) => ({
    subject: 'Se ha restablecido la contraseña de tu cuenta de Lanyard',
    text: `Se ha restablecido la contraseña de tu cuenta de Lanyard con un código enviado a tu ${fieldName.es[p.via]}:\n\n  dirección IP: ${p.ip}\n  hora: ${p.at}\n\nSe han cerrado todas las sesiones iniciadas. Tus datos en la nube se conservan, y tus dispositivos siguen vinculados y con la sesión iniciada.\n\nSi no has sido tú, alguien puede leer tu ${fieldName.es[p.via]}: restablece tu contraseña de nuevo ahora con "He olvidado mi contraseña", protege ese ${fieldName.es[p.via]} y quita los dispositivos que no reconozcas en la página de dispositivos de tu cuenta.`,
  }),
  deletion_code: (p) => ({
    subject: 'Tu código para eliminar tu cuenta de Lanyard',
    text: `Tu código para eliminar tu cuenta de Lanyard y todos sus datos para siempre es ${p.code}. Es válido durante ${p.seconds} segundos. Una vez confirmada, la eliminación no se puede deshacer.\n\nSi no lo has pedido, alguien que conoce tu contraseña intenta eliminar tu cuenta: no des este código a nadie, cambia tu contraseña ahora y cierra las sesiones que no reconozcas en la página de seguridad de tu cuenta. Sin este código no se elimina nada.`,
  }),
  account_deleted: (p) => ({
    subject: 'Se ha eliminado tu cuenta de Lanyard',
    text: `Tu cuenta de Lanyard se eliminó el ${p.at}, como pediste. Sus datos en la nube (contactos, notas, mensajes, datos de apps, fotos), dispositivos, sesiones e historial se están borrando para siempre, y esta dirección queda libre para una cuenta nueva.${
      p.keptLocks > 0
        ? `\n\n${p.keptLocks === 1 ? 'Un dispositivo sigue bloqueado' : `${p.keptLocks} dispositivos siguen bloqueados`}, como elegiste: solo una solicitud de desbloqueo puede liberar${p.keptLocks === 1 ? 'lo' : 'los'}.`
        : ''
    }\n\nEste es el último mensaje que recibirás sobre esta cuenta. Si no lo has pedido tú, contacta con soporte ahora: una cuenta eliminada no se puede recuperar.`,
  }),
  account_deletion_scheduled: (p) => ({
    subject: 'Tu cuenta de Lanyard se va a eliminar',
    text: `Tu cuenta de Lanyard se cerró el ${p.at}, como pediste, y se borrará para siempre el ${p.eraseAt}. Hasta entonces nadie puede iniciar sesión en ella.\n\nPara conservar tu cuenta, abre este enlace antes de esa fecha:\n\n  ${p.cancelUrl}\n\nSi no lo has pedido tú, abre el enlace ahora y después cambia tu contraseña.`,
  }),
  unlock_request_received: (p) => ({
    subject: 'Hemos recibido tu solicitud de desbloqueo',
    text: `Hemos recibido tu solicitud para desbloquear un dispositivo. Nuestro equipo de soporte la revisará junto con su prueba, y te escribiremos a esta dirección cuando decida.\n\nPuedes seguirla aquí:\n\n  ${p.statusUrl}\n\nSi no has enviado esta solicitud, ignora este mensaje.`,
  }),
  unlock_request_owner_notice: (p) => ({
    subject: 'Alguien ha pedido desbloquear un dispositivo bloqueado a tu cuenta de Lanyard',
    text: `Alguien que tiene el dispositivo con número de serie terminado en ${p.serialHint}, bloqueado a tu cuenta de Lanyard, nos ha pedido liberar su bloqueo, y nuestro equipo de soporte ha aceptado su prueba.\n\nEl bloqueo se liberará el ${p.releaseAt} y el dispositivo saldrá de tu cuenta, salvo que te opongas antes.\n\nSi vendiste o regalaste este dispositivo, no tienes que hacer nada. Si sigue siendo tuyo, o lo perdiste o te lo robaron, inicia sesión y oponte a la solicitud ${p.requestId}:\n\n  ${p.objectUrl}`,
  }),
  unlock_request_approved: (p) => ({
    subject: 'Se ha aprobado tu solicitud de desbloqueo',
    text: `Nuestro equipo de soporte ha aprobado tu solicitud para desbloquear un dispositivo. Hemos avisado al titular de su cuenta, y el bloqueo se liberará el ${p.releaseAt} salvo que el titular se oponga antes. Te escribiremos de nuevo entonces.\n\nPuedes seguirla aquí:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_rejected: (p) => ({
    subject: 'No se ha aprobado tu solicitud de desbloqueo',
    text: `Nuestro equipo de soporte no ha podido aprobar tu solicitud para desbloquear un dispositivo con la prueba que enviaste, y el dispositivo sigue bloqueado.\n\nSi tienes una prueba de compra mejor, puedes enviar una nueva solicitud. El estado de la solicitud está aquí:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_objected: (p) => ({
    subject: 'El titular ha detenido tu solicitud de desbloqueo',
    text: `El titular de la cuenta a la que está bloqueado el dispositivo se ha opuesto a tu solicitud, así que el dispositivo sigue bloqueado. Si compraste el dispositivo, pide al vendedor que lo quite de su cuenta.\n\nEl estado de la solicitud está aquí:\n\n  ${p.statusUrl}`,
  }),
  unlock_request_released: (p) => ({
    subject: 'Tu dispositivo está desbloqueado',
    text: `Se ha liberado el bloqueo del dispositivo con número de serie terminado en ${p.serialHint}, como pedía tu solicitud de desbloqueo. Ya puedes configurarlo con tu propia cuenta.`,
  }),
  unlock_device_released: (p) => ({
    subject: 'Un dispositivo ha salido de tu cuenta de Lanyard tras una solicitud de desbloqueo',
    text: `El dispositivo con número de serie terminado en ${p.serialHint} se liberó de tu cuenta de Lanyard el ${p.at}: se aprobó una solicitud de desbloqueo y nadie se opuso durante el plazo de espera. Su bloqueo ya no existe y se ha cerrado su sesión.\n\nSi no lo esperabas, contacta con soporte.`,
  }),
  two_step_changed: (p) => ({
    subject: 'Ha cambiado la verificación en dos pasos de tu cuenta de Lanyard',
    text: `${changeName.es[p.change]} en tu cuenta de Lanyard el ${p.at}.\n\nSi has sido tú, no tienes que hacer nada. Si no, bloquea tu cuenta enseguida desde cualquier sesión iniciada (Seguridad, «Bloquear mi cuenta») y después restablece tu contraseña con «¿Has olvidado la contraseña?».`,
  }),
  recovery_codes_low: (p) => ({
    subject: 'Te quedan pocos códigos de recuperación de Lanyard',
    text: `A tu cuenta de Lanyard ${p.remaining === 0 ? 'no le queda ningún código de recuperación sin usar' : p.remaining === 1 ? 'solo le queda 1 código de recuperación sin usar' : `solo le quedan ${p.remaining} códigos de recuperación sin usar`}. Los códigos de recuperación te permiten iniciar sesión cuando no tienes tu aplicación de autenticación ni tu llave de acceso.\n\nCrea un juego nuevo en la página de seguridad de tu cuenta (los anteriores dejarán de servir) y guárdalo en un lugar seguro.`,
  }),
  account_locked: (p) => ({
    subject: 'Tu cuenta de Lanyard está bloqueada',
    text: `Tu cuenta de Lanyard se bloqueó el ${p.at} (desde la dirección IP ${p.ip}). Se cerraron todas las sesiones iniciadas y el acceso de todas las aplicaciones, y nadie puede iniciar sesión. Tus dispositivos siguen bloqueados a tu cuenta.\n\nPara abrirla de nuevo, restablece tu contraseña con «¿Has olvidado la contraseña?»; si la cuenta tiene verificación en dos pasos, también se te pedirá tu segundo factor o un código de recuperación.`,
  }),
  account_suspended: (p) => ({
    subject: 'Tu cuenta de Lanyard está suspendida',
    text: `El soporte de Lanyard suspendió tu cuenta el ${p.at} (motivo: ${p.reason}). Se cerraron todas las sesiones iniciadas y nadie puede iniciar sesión hasta que el soporte restablezca la cuenta. Tus dispositivos siguen bloqueados a tu cuenta y tus datos se conservan.\n\nSi crees que es un error, responde a este mensaje o ponte en contacto con el soporte de Lanyard.`,
  }),
  account_restored: (p) => ({
    subject: 'Tu cuenta de Lanyard está restablecida',
    text: `El soporte de Lanyard restableció tu cuenta el ${p.at} (motivo: ${p.reason}). Ya puedes iniciar sesión de nuevo.`,
  }),
  recovery_waiting: (p) => ({
    subject: 'Se restablecerá tu contraseña de Lanyard sin la verificación en dos pasos',
    text: `Alguien ha restablecido la contraseña de tu cuenta de Lanyard con un código (desde la dirección IP ${p.ip}) sin tu segundo factor ni un código de recuperación. Si no lo cancelas, el ${p.completesAt} la nueva contraseña entrará en vigor, se desactivará la verificación en dos pasos y se cerrarán todas las sesiones iniciadas.\n\nSi has sido tú, solo tienes que esperar. Si no, cancélalo ahora:\n\n${p.cancelUrl}\n\ny después cambia tu contraseña y protege tu correo y tu teléfono.`,
  }),
};

const templates: Record<Locale, Templates> = { en, es };

/** The supported locale for a language tag ("es", "es-MX", "ES_es"), English when there is none. */
export function supportedLocale(tag: string | undefined): Locale {
  const language = (tag ?? '').trim().split(/[-_]/)[0]!.toLowerCase();
  return (LOCALES as readonly string[]).includes(language) ? (language as Locale) : 'en';
}

/** Renders one message kind in a locale (English when the locale is unknown). */
export function renderMessage<K extends MessageKind>(
  kind: K,
  locale: string,
  params: MessageParams[K],
): RenderedMessage {
  const set = templates[supportedLocale(locale)];
  return (set[kind] as (p: MessageParams[K]) => RenderedMessage)(params);
}

/** Picks a supported locale from an Accept-Language header, by its q-values (English when none fits). */
export function localeFromHeader(header: string | undefined): Locale {
  let best: { locale: Locale; q: number } | undefined;
  for (const part of (header ?? '').split(',')) {
    const [tag = '', ...parameters] = part.split(';').map((p) => p.trim());
    const language = tag.split(/[-_]/)[0]!.toLowerCase();
    if (!(LOCALES as readonly string[]).includes(language)) continue;
    const qParameter = parameters.find((p) => /^q=/i.test(p));
    const q = qParameter ? Number(qParameter.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { locale: language as Locale, q };
  }
  return best?.locale ?? 'en';
}
