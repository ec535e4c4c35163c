import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import { NoContent, unreadableIds } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { DeviceCommandService } from './commands.js';
import {
  ActivationSchema,
  CommandCreatedSchema,
  CommandIdParams,
  CommandListSchema,
  CommandResultBody,
  CreateCommandBody,
  DeviceCommandListSchema,
  DeviceDetailSchema,
  DeviceIdParams,
  DeviceListSchema,
  DeviceSignOutBody,
  LinkDeviceBody,
  LinkedDeviceSchema,
  SerialParams,
} from './schemas.js';
import type { DeviceService } from './service.js';
import { CommandStreams } from './stream.js';

/** Devices (owner side), the device's own endpoints (device token), Find Device, and activation checks. */
export function registerDeviceRoutes(
  app: HttpServer,
  deps: { devices: DeviceService; commands: DeviceCommandService; guards: Guards },
) {
  const { devices, commands, guards } = deps;
  const streams = new CommandStreams(commands, devices.signals);
  app.addHook('preClose', async () => streams.closeAll());

  app.post(
    '/v1/devices',
    {
      schema: {
        tags: ['devices'],
        operationId: 'linkDevice',
        summary: 'Link a device to the account and lock it there; returns its device token (shown once)',
        body: LinkDeviceBody,
        response: { 201: LinkedDeviceSchema },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      const linked = await devices.link(authOf(request), request.body, originOf(request));
      return reply.code(201).send(linked);
    },
  );

  app.get(
    '/v1/devices',
    {
      config: { scopes: ['devices:read'] },
      schema: {
        tags: ['devices'],
        operationId: 'listDevices',
        summary: 'Every device linked to the account, newest first',
        response: { 200: DeviceListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => {
      const list = await devices.list(authOf(request));
      return { devices: list, unreadable: unreadableIds(list) };
    },
  );

  app.get(
    '/v1/devices/:id',
    {
      config: { scopes: ['devices:read'] },
      schema: {
        tags: ['devices'],
        operationId: 'getDevice',
        summary: 'One device, with its last known location',
        params: DeviceIdParams,
        response: { 200: DeviceDetailSchema },
      },
      preHandler: guards.account,
    },
    async (request) => devices.get(authOf(request), request.params.id),
  );

  app.delete(
    '/v1/devices/:id',
    {
      schema: {
        tags: ['devices'],
        operationId: 'removeDevice',
        summary: 'Remove a device remotely (fresh session): its token ends and its lock is released',
        params: DeviceIdParams,
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      await devices.remove(authOf(request), request.params.id, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/devices/:id/commands',
    {
      config: { scopes: ['devices:write'] },
      schema: {
        tags: ['devices'],
        operationId: 'createCommand',
        summary: 'Send a Find Device command (erase needs a fresh session)',
        params: DeviceIdParams,
        body: CreateCommandBody,
        response: { 202: CommandCreatedSchema },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      const command = await commands.create(authOf(request), request.params.id, request.body);
      return reply.code(202).send({ command });
    },
  );

  app.get(
    '/v1/devices/:id/commands',
    {
      config: { scopes: ['devices:read'] },
      schema: {
        tags: ['devices'],
        operationId: 'listCommands',
        summary: "A device's commands and their states, newest first",
        params: DeviceIdParams,
        response: { 200: CommandListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => ({ commands: await commands.list(authOf(request), request.params.id) }),
  );

  app.get(
    '/v1/device',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getThisDevice',
        summary: 'The calling device itself (device token)',
        response: { 200: DeviceDetailSchema },
      },
      preHandler: guards.device,
    },
    async (request) => devices.self(authOf(request)),
  );

  app.post(
    '/v1/device/sign-out',
    {
      schema: {
        tags: ['devices'],
        operationId: 'signOutDevice',
        summary:
          'Sign out on the device (device token) with the account password: the device is unlinked and its lock released',
        body: DeviceSignOutBody,
        response: { 204: NoContent },
      },
      preHandler: guards.device,
    },
    async (request, reply) => {
      await devices.signOut(authOf(request), request.body.password, originOf(request));
      return reply.code(204).send(null);
    },
  );

  // No automatic HEAD twins for the device's reads: a HEAD would mark commands delivered that nobody read.
  app.get(
    '/v1/device/commands',
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['devices'],
        operationId: 'pollDeviceCommands',
        summary: 'Commands waiting for this device (device token); they are marked delivered',
        response: { 200: DeviceCommandListSchema },
      },
      preHandler: guards.device,
    },
    async (request) => ({ commands: await commands.poll(authOf(request)) }),
  );

  app.get(
    '/v1/device/commands/stream',
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['devices'],
        operationId: 'streamDeviceCommands',
        summary:
          'Server-sent events (device token): `command` for each command as it is created, `ended` when the token stops working',
        response: {
          200: {
            description:
              'An event stream: `event: command` with a command as JSON in `data`, `event: ended`, and keep-alive comments',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
      preHandler: guards.device,
    },
    async (request, reply) => {
      const auth = authOf(request);
      const device = await devices.requireDevice(auth);
      await streams.serve(request, reply, device, () => commands.poll(auth));
      return reply;
    },
  );

  app.post(
    '/v1/device/commands/:id/result',
    {
      schema: {
        tags: ['devices'],
        operationId: 'answerCommand',
        summary: "The device's answer to a command (device token); a locate that is done carries the location",
        params: CommandIdParams,
        body: CommandResultBody,
        response: { 204: NoContent },
      },
      preHandler: guards.device,
    },
    async (request, reply) => {
      await commands.answer(authOf(request), request.params.id, request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/activation/:serial',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getActivation',
        summary:
          'Whether a serial (or IMEI) is locked to an account, with a masked hint of the owner; no sign-in, rate-limited',
        params: SerialParams,
        response: { 200: ActivationSchema },
      },
    },
    async (request) => devices.activation(request.params.serial, request.ip),
  );
}
