import { Type } from 'typebox';
import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import { IdSchema, NoContent, Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { DeviceCommandService } from './commands.js';
import {
  ActivationSchema,
  CommandResultBody,
  CommandSchema,
  CreateCommandBody,
  DeviceCommandSchema,
  DeviceDetailSchema,
  DeviceIdParams,
  DeviceSchema,
  DeviceSignOutBody,
  LinkDeviceBody,
  SerialSchema,
} from './schemas.js';
import type { DeviceService } from './service.js';
import { CommandStreams } from './stream.js';

/** Devices (owner side), the device's own endpoints (device token), Find Device, and activation checks. */
export function registerDeviceRoutes(app: HttpServer, deps: { devices: DeviceService; commands: DeviceCommandService; guards: Guards }) {
  const { devices, commands, guards } = deps;
  const streams = new CommandStreams(commands, devices.signals);
  app.addHook('preClose', async () => streams.closeAll());

  app.post('/v1/devices', {
    schema: {
      tags: ['devices'],
      summary: 'Link a device to the account and lock it there; returns its device token (shown once)',
      body: LinkDeviceBody,
      response: { 201: Type.Object({ device: DeviceSchema, deviceToken: Type.String({ description: 'Bearer token of the device; shown once' }) }) },
    },
    preHandler: guards.account,
  }, async (request, reply) => {
    const linked = await devices.link(authOf(request), request.body, originOf(request));
    return reply.code(201).send(linked);
  });

  app.get('/v1/devices', {
    schema: { tags: ['devices'], summary: 'Every device linked to the account, newest first', response: { 200: Type.Object({ devices: Type.Array(DeviceSchema) }) } },
    preHandler: guards.account,
  }, async (request) => ({ devices: await devices.list(authOf(request)) }));

  app.get('/v1/devices/:id', {
    schema: { tags: ['devices'], summary: 'One device, with its last known location', params: DeviceIdParams, response: { 200: DeviceDetailSchema } },
    preHandler: guards.account,
  }, async (request) => devices.get(authOf(request), request.params.id));

  app.delete('/v1/devices/:id', {
    schema: {
      tags: ['devices'],
      summary: 'Remove a device remotely (fresh session): its token ends and its lock is released',
      params: DeviceIdParams,
      response: { 204: NoContent },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => {
    await devices.remove(authOf(request), request.params.id, originOf(request));
    return reply.code(204).send(null);
  });

  app.post('/v1/devices/:id/commands', {
    schema: {
      tags: ['devices'],
      summary: 'Send a Find Device command (erase needs a fresh session)',
      params: DeviceIdParams,
      body: CreateCommandBody,
      response: { 202: Type.Object({ command: CommandSchema }) },
    },
    preHandler: guards.account,
  }, async (request, reply) => {
    const command = await commands.create(authOf(request), request.params.id, request.body);
    return reply.code(202).send({ command });
  });

  app.get('/v1/devices/:id/commands', {
    schema: { tags: ['devices'], summary: "A device's commands and their states, newest first", params: DeviceIdParams, response: { 200: Type.Object({ commands: Type.Array(CommandSchema) }) } },
    preHandler: guards.account,
  }, async (request) => ({ commands: await commands.list(authOf(request), request.params.id) }));

  app.get('/v1/device', {
    schema: { tags: ['devices'], summary: 'The calling device itself (device token)', response: { 200: DeviceDetailSchema } },
    preHandler: guards.device,
  }, async (request) => devices.self(authOf(request)));

  app.post('/v1/device/sign-out', {
    schema: {
      tags: ['devices'],
      summary: 'Sign out on the device (device token) with the account password: the device is unlinked and its lock released',
      body: DeviceSignOutBody,
      response: { 204: NoContent },
    },
    preHandler: guards.device,
  }, async (request, reply) => {
    await devices.signOut(authOf(request), request.body.password, originOf(request));
    return reply.code(204).send(null);
  });

  // No automatic HEAD twins for the device's reads: a HEAD would mark commands delivered that nobody read.
  app.get('/v1/device/commands', {
    exposeHeadRoute: false,
    schema: { tags: ['devices'], summary: 'Commands waiting for this device (device token); they are marked delivered', response: { 200: Type.Object({ commands: Type.Array(DeviceCommandSchema) }) } },
    preHandler: guards.device,
  }, async (request) => ({ commands: await commands.poll(authOf(request)) }));

  app.get('/v1/device/commands/stream', {
    exposeHeadRoute: false,
    schema: {
      tags: ['devices'],
      summary: 'Server-sent events (device token): `command` for each command as it is created, `ended` when the token stops working',
      response: {
        200: {
          description: 'An event stream: `event: command` with a command as JSON in `data`, `event: ended`, and keep-alive comments',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      },
    },
    preHandler: guards.device,
  }, async (request, reply) => {
    const auth = authOf(request);
    const device = await devices.requireDevice(auth);
    await streams.serve(request, reply, device, () => commands.poll(auth));
    return reply;
  });

  app.post('/v1/device/commands/:id/result', {
    schema: {
      tags: ['devices'],
      summary: "The device's answer to a command (device token); a locate that is done carries the location",
      params: Strict({ id: IdSchema }),
      body: CommandResultBody,
      response: { 204: NoContent },
    },
    preHandler: guards.device,
  }, async (request, reply) => {
    await commands.answer(authOf(request), request.params.id, request.body);
    return reply.code(204).send(null);
  });

  app.get('/v1/activation/:serial', {
    schema: {
      tags: ['devices'],
      summary: 'Whether a serial (or IMEI) is locked to an account, with a masked hint of the owner; no sign-in, rate-limited',
      params: Strict({ serial: SerialSchema }),
      response: { 200: ActivationSchema },
    },
  }, async (request) => devices.activation(request.params.serial, request.ip));
}
