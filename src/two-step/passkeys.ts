import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppError } from '../http/errors.js';
import type { PasskeyRow } from './repository.js';

/** Where passkeys are bound: the relying party id (a host name) and the origin pages run on. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** The relying party of a server reachable at its base URL (LANYARD_BASE_URL). */
export function relyingPartyOf(baseUrl: string): RelyingParty {
  const url = new URL(baseUrl);
  return { id: url.hostname, origin: url.origin, name: 'Lanyard' };
}

/** The challenge a WebAuthn answer signed, read from its client data (checked again by the verification). */
export function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string {
  const encoded = response.response?.clientDataJSON;
  if (typeof encoded !== 'string' || encoded.length > 4096)
    throw new AppError('passkey.invalid', 'The passkey answer has no client data');
  try {
    const parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof parsed.challenge === 'string' && parsed.challenge.length > 0 && parsed.challenge.length <= 200)
      return parsed.challenge;
  } catch {
    // Falls through to the same answer as any other malformed client data.
  }
  throw new AppError('passkey.invalid', 'The passkey answer has no readable challenge');
}

// Loaded on first use: the library and its ASN.1 parsers weigh on every start (the CLI's too), and most
// processes never see a passkey.
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (library ??= import('@simplewebauthn/server'));

/** WebAuthn ceremonies with @simplewebauthn/server; the library checks signatures, origin, rp id and counters. */
export class PasskeyCeremonies {
  constructor(private readonly rp: RelyingParty) {}

  async creationOptions(input: { accountId: string; userName: string; existing: PasskeyRow[] }) {
    const { generateRegistrationOptions } = await webauthn();
    return generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: input.userName,
      userID: new TextEncoder().encode(input.accountId),
      attestationType: 'none',
      // The same authenticator twice would be one factor counted as two.
      excludeCredentials: input.existing.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
      // Discoverable (resident) keys make passwordless sign-in possible; user verification makes a
      // passkey alone strong enough to sign in with.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  async requestOptions(allow: PasskeyRow[] | undefined) {
    const { generateAuthenticationOptions } = await webauthn();
    return generateAuthenticationOptions({
      rpID: this.rp.id,
      userVerification: allow ? 'preferred' : 'required',
      ...(allow ? { allowCredentials: allow.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })) } : {}),
    });
  }

  /** Verifies a registration; returns what to store, or throws passkey.invalid. */
  async register(response: unknown, expectedChallenge: string) {
    const { verifyRegistrationResponse } = await webauthn();
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: false,
      });
    } catch (error) {
      throw new AppError('passkey.invalid', `The passkey could not be registered: ${messageOf(error)}`);
    }
    if (!verified.verified) throw new AppError('passkey.invalid');
    const { credential } = verified.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
    };
  }

  /** Verifies an assertion by a stored passkey; returns the new counter, or throws passkey.invalid. */
  async authenticate(
    response: unknown,
    passkey: PasskeyRow,
    expectedChallenge: string,
    requireUserVerification: boolean,
  ): Promise<number> {
    const { verifyAuthenticationResponse } = await webauthn();
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: {
          id: passkey.credential_id,
          publicKey: Buffer.from(passkey.public_key, 'base64url'),
          counter: Number(passkey.counter),
          transports: transportsOf(passkey),
        },
        requireUserVerification,
      });
    } catch (error) {
      throw new AppError('passkey.invalid', `The passkey answer could not be verified: ${messageOf(error)}`);
    }
    if (!verified.verified) throw new AppError('passkey.invalid');
    return verified.authenticationInfo.newCounter;
  }
}

function transportsOf(passkey: PasskeyRow): AuthenticatorTransport[] {
  return JSON.parse(passkey.transports) as AuthenticatorTransport[];
}

// The library's messages name what failed (origin, challenge, signature) and carry no secret.
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}
