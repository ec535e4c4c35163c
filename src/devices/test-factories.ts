import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Api } from '../testing/api-types.js';
import type { TestAccount, TestApp, TestResponse } from '../testing/test-app.js';

let counter = 0;

/** A serial nobody has used in this run. */
export function uniqueSerial(): string {
  counter += 1;
  return `SN${counter}X${randomBytes(5).toString('hex').toUpperCase()}`;
}

/** A 15-digit IMEI nobody has used in this run. */
export function uniqueImei(): string {
  counter += 1;
  return `35${String(counter).padStart(4, '0')}${String(randomBytes(4).readUInt32BE() % 1_000_000_000).padStart(9, '0')}`;
}

export interface LinkedDevice {
  id: string;
  serial: string;
  token: string;
  body: Api<'LinkedDevice'>;
}

/** Links a device with unique defaults through the API; fails the test unless it answers 201. */
export async function linkDevice(
  t: TestApp,
  owner: TestAccount,
  fields: Record<string, unknown> = {},
): Promise<LinkedDevice> {
  const body = { serial: uniqueSerial(), model: 'Redmi Note 13', name: 'Test phone', kind: 'phone', ...fields };
  const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', { token: owner.token, body });
  assert.equal(linked.status, 201, linked.text);
  return { id: linked.body.device.id, serial: String(body.serial), token: linked.body.deviceToken, body: linked.body };
}

let ipCounter = 0;
/** Asks the activation endpoint from a fresh IP, so that tests do not spend each other's rate limit. */
export async function activation<T = Api<'Activation'>>(t: TestApp, serial: string): Promise<TestResponse<T>> {
  ipCounter += 1;
  return t.request<T>('GET', `/v1/activation/${encodeURIComponent(serial)}`, {
    ip: `10.9.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`,
  });
}

/** The ids of the account's listed devices. */
export async function deviceIds(t: TestApp, owner: TestAccount): Promise<string[]> {
  const listed = await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token });
  assert.equal(listed.status, 200, listed.text);
  return listed.body.devices.map((d: { id: string }) => d.id);
}

// The one problem assertion (src/testing/problems.ts), where the device tests have always found it.
export { assertProblem } from '../testing/problems.js';
