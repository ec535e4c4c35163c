import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import type { HttpServer } from '../http/server.js';
import type { BootloaderKeys } from './keys.js';
import { BootloaderKeySetSchema, BootloaderUnlockBody, BootloaderUnlockSchema } from './schemas.js';
import type { BootloaderService } from './service.js';

/** The published verification keys, and the device's own request for an unlock authorisation. */
export function registerBootloaderRoutes(
  app: HttpServer,
  deps: { bootloader: BootloaderService; keys: BootloaderKeys; guards: Guards },
) {
  const { bootloader, keys, guards } = deps;

  app.get(
    '/v1/bootloader/key',
    {
      schema: {
        tags: ['bootloader'],
        operationId: 'getBootloaderKeys',
        summary: 'The Ed25519 public keys that bootloaders verify unlock statements with',
        response: { 200: BootloaderKeySetSchema },
      },
    },
    async () => ({ keys: await keys.published() }),
  );

  app.post(
    '/v1/device/bootloader-unlock',
    {
      schema: {
        tags: ['bootloader'],
        operationId: 'unlockBootloader',
        summary:
          'A signed bootloader unlock statement for this device (device token), once it has been linked long enough and is not in lost mode',
        body: BootloaderUnlockBody,
        response: { 201: BootloaderUnlockSchema },
      },
      preHandler: guards.device,
    },
    async (request, reply) =>
      reply.code(201).send(await bootloader.unlock(authOf(request), request.body, originOf(request))),
  );
}
