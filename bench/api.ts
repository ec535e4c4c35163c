import { BENCH_USER_AGENT } from './seed.js';

/** One JSON call to the server under test; anything but 2xx throws with the answer, so a broken setup stops the part. */
export async function api<T = unknown>(
  baseUrl: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { 'user-agent': BENCH_USER_AGENT };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(new URL(route, baseUrl), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Links a device the way a phone does (POST /v1/devices with an account session); returns its device token. */
export async function linkDevice(
  baseUrl: string,
  token: string,
  serial: string,
  model = 'Redmi Note 13',
  kind = 'phone',
): Promise<string> {
  const linked = await api<{ deviceToken: string }>(baseUrl, 'POST', '/v1/devices', {
    token,
    body: { serial, model, name: `${model} (bench)`, kind },
  });
  return linked.deviceToken;
}
