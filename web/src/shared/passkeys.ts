// The WebAuthn library is fetched when a passkey is first used: the sign-in page offers the button
// without paying for the library (its JavaScript budget is 100 KiB).
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';

/** The browser's own refusal (cancelled, timed out, no passkey here, one already made) rather than the server's. */
export class PasskeyRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PasskeyRefused';
  }
}

/** A WebAuthn credential as the API's WebAuthnResponse takes it (plain objects, base64url fields). */
export interface PasskeyAnswer {
  id: string;
  rawId: string;
  type: 'public-key';
  response: Record<string, unknown>;
  clientExtensionResults?: Record<string, unknown>;
  authenticatorAttachment?: string;
}

function answerOf(credential: {
  id: string;
  rawId: string;
  type: 'public-key';
  response: object;
  clientExtensionResults: object;
  authenticatorAttachment?: string;
}): PasskeyAnswer {
  return {
    id: credential.id,
    rawId: credential.rawId,
    type: credential.type,
    response: { ...credential.response },
    clientExtensionResults: { ...credential.clientExtensionResults },
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
  };
}

async function browserStep<T>(step: (webauthn: typeof import('@simplewebauthn/browser')) => Promise<T>): Promise<T> {
  const webauthn = await import('@simplewebauthn/browser');
  try {
    return await step(webauthn);
  } catch (error) {
    throw new PasskeyRefused(error instanceof Error ? error.name : 'Error');
  }
}

/** Makes a new passkey with the creation options the server gave. */
export async function createPasskey(options: unknown): Promise<PasskeyAnswer> {
  return answerOf(
    await browserStep(({ startRegistration }) =>
      startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON }),
    ),
  );
}

/** Signs the server's challenge with a passkey (request options from the server). */
export async function signWithPasskey(options: unknown): Promise<PasskeyAnswer> {
  return answerOf(
    await browserStep(({ startAuthentication }) =>
      startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON }),
    ),
  );
}

/** Whether this browser can use passkeys at all (as @simplewebauthn/browser tells it, without loading it). */
export function browserSupportsWebAuthn(): boolean {
  return typeof globalThis.PublicKeyCredential === 'function';
}
