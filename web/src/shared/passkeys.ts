import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
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

async function browserStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new PasskeyRefused(error instanceof Error ? error.name : 'Error');
  }
}

/** Makes a new passkey with the creation options the server gave. */
export async function createPasskey(options: unknown): Promise<PasskeyAnswer> {
  return answerOf(
    await browserStep(() => startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON })),
  );
}

/** Signs the server's challenge with a passkey (request options from the server). */
export async function signWithPasskey(options: unknown): Promise<PasskeyAnswer> {
  return answerOf(
    await browserStep(() => startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON })),
  );
}

export { browserSupportsWebAuthn } from '@simplewebauthn/browser';
