import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createTestApp, type TestApp, type TestDatabase } from '../testing/test-app.js';
import { createStaffMember } from '../testing/staff.js';
import { freePort } from '../testing/free-port.js';

// Shared by the apps' tests: a listening server (openid-client talks to it over HTTP, as a relying party
// would), an admin who registers apps, and a browser without a screen (cookies, redirects, forms).

export interface ListeningApp {
  t: TestApp;
  baseUrl: string;
  admin: string;
  close(): Promise<void>;
}

/** A test app listening on a port of its own, with an admin's token. */
export async function startListeningApp(database: TestDatabase): Promise<ListeningApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const t = await createTestApp({ database, env: { LANYARD_PORT: String(port), LANYARD_BASE_URL: baseUrl } });
  await t.app.http.listen({ port, host: '127.0.0.1' });
  const admin = (await createStaffMember(t, 'admin')).token;
  return { t, baseUrl, admin, close: () => t.close() };
}

/** openid-client's view of an app, from the server's discovery document (http: only on this machine). */
export async function relyingParty(
  baseUrl: string,
  clientId: string,
  clientSecret?: string | null,
): Promise<client.Configuration> {
  return client.discovery(
    new URL(baseUrl),
    clientId,
    clientSecret ?? undefined,
    clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

/** A browser without a screen: keeps cookies, follows redirects on the server, fills in forms. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly baseUrl: string,
    private readonly language = 'en',
  ) {}

  private take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const cleared =
        value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (cleared) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request, without following redirects. */
  async send(
    method: string,
    url: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; location?: string; text: string }> {
    const response = await fetch(new URL(url, this.baseUrl), {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'accept-language': this.language,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    this.take(response);
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      ...(location ? { location: new URL(location, this.baseUrl).href } : {}),
      text: await response.text(),
    };
  }

  /** Signs in to Lanyard itself (the portal's sign-in), which sets the web session cookie. */
  async signInToLanyard(login: string, password: string): Promise<void> {
    const response = await fetch(new URL('/v1/sessions', this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password, kind: 'web' }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    this.take(response);
  }

  /** Follows redirects while they stay on this server; returns the page shown, or the URL that left it (back to the app). */
  async go(
    method: string,
    url: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; text: string; left?: string }> {
    let current = await this.send(method, url, form);
    for (let hops = 0; hops < 10 && current.location; hops++) {
      if (new URL(current.location).origin !== new URL(this.baseUrl).origin)
        return { status: current.status, text: current.text, left: current.location };
      current = await this.send('GET', current.location);
    }
    return current;
  }

  /** Submits the page's form whose action ends with `suffix`, with these fields (and its hidden ones). */
  async submit(page: string, suffix: RegExp, fields: Record<string, string>) {
    const form = [...page.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) =>
      suffix.test(m[1]!.replaceAll('&amp;', '&')),
    );
    assert.ok(form, `a form posting to ${suffix} on: ${page.slice(0, 600)}`);
    const hidden = Object.fromEntries(
      [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        m[2]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"'),
      ]),
    );
    return this.go('POST', form[1]!.replaceAll('&amp;', '&'), { ...hidden, ...fields });
  }
}

/** The parts of an authorization request a test needs back. */
export async function authorizationRequest(config: client.Configuration, parameters: Record<string, string>) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    ...parameters,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { url, verifier, state };
}
