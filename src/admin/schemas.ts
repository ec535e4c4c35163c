import { Type } from 'typebox';
import { SecurityEventSchema } from '../accounts/schemas.js';
import { DeviceSchema } from '../devices/schemas.js';
import { named } from '../http/openapi.js';
import { EmailSchema, IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import { RequestViewSchema } from '../unlock/schemas.js';
import { AUDIT_PAGE_MAX } from './service.js';

const ReasonSchema = Type.String({
  maxLength: 500,
  description:
    'Why staff look at or act on the account (e.g. "unlock request 123"): audited, and shown to the person. Required; without it the answer is 400 staff.reason_required',
});
const AccountStateSchema = Type.Enum(['active', 'suspended', 'deletion_pending', 'deletion_scheduled', 'erasing'], {
  description: 'active, suspended by staff, or on the way to deletion',
});
const RoleSchema = Type.Enum(['support', 'admin'], {
  description:
    'support: looks accounts up, reviews unlock requests, ends sessions, suspends and restores; admin: also apps, webhooks, credits and staff',
});
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const AccountParams = Strict({ id: IdSchema });
export const StaffParams = Strict({ accountId: IdSchema });
export const DeliveryParams = Strict({ id: IdSchema, deliveryId: IdSchema });

export const AccountSearchQuery = Strict({
  q: Type.String({
    minLength: 1,
    maxLength: 254,
    description: 'An email, a phone number (+…), an account id, or a device serial or IMEI',
  }),
  reason: Type.Optional(ReasonSchema),
});
export const ReasonQuery = Strict({ reason: Type.Optional(ReasonSchema) });
export const ReasonBody = named('StaffReasonBody', Strict({ reason: Type.Optional(ReasonSchema) }));

export const AccountMatchSchema = named(
  'StaffAccountMatch',
  Type.Object({
    id: Type.String(),
    email: nullable(Type.String({ description: 'Masked: j***@e***.com' })),
    phone: nullable(Type.String({ description: 'Masked: +34 *** *** 222' })),
    createdAt: TimeSchema,
    status: AccountStateSchema,
    matchedBy: Type.Enum(['id', 'email', 'phone', 'serial', 'imei']),
  }),
);
export const AccountMatchListSchema = named(
  'StaffAccountMatchList',
  Type.Object({ accounts: Type.Array(AccountMatchSchema) }),
);

const StaffSessionSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('web'), Type.Literal('api'), Type.Literal('device')]),
  createdAt: TimeSchema,
  lastUsedAt: TimeSchema,
  expiresAt: TimeSchema,
  ip: Type.String(),
  client: Type.String(),
});

export const StaffAccountViewSchema = named(
  'StaffAccountView',
  Type.Object({
    profile: Type.Object({
      id: Type.String(),
      email: nullable(Type.String({ description: 'Masked; POST …/reveal shows it (audited)' })),
      phone: nullable(Type.String({ description: 'Masked; POST …/reveal shows it (audited)' })),
      name: nullable(Type.String()),
      locale: Type.String(),
      role: Type.Enum(['user', 'support', 'admin']),
      createdAt: TimeSchema,
    }),
    status: AccountStateSchema,
    suspendedAt: Type.Union([TimeSchema, Type.Null()]),
    twoStep: Type.Object({
      enabled: Type.Boolean(),
      locked: Type.Boolean({ description: 'The owner locked the account (POST /v1/me/lock)' }),
    }),
    devices: Type.Array(Type.Object({ ...DeviceSchema.properties })),
    sessions: Type.Array(StaffSessionSchema),
    events: Type.Array(SecurityEventSchema, { description: 'The most recent security events, newest first' }),
    credits: Type.Object({ balance: Type.Integer(), currency: Type.Literal('credits') }),
    deletion: Type.Object({ status: Type.Enum(['none', 'deletion_pending', 'deletion_scheduled', 'erasing']) }),
    unlockRequests: Type.Array(Type.Object({ ...RequestViewSchema.properties, serialHint: Type.String() }), {
      description: "Unlock requests about the account's devices",
    }),
  }),
);

export const RevealedAddressesSchema = named(
  'StaffRevealedAddresses',
  Type.Object({ id: Type.String(), email: nullable(Type.String()), phone: nullable(Type.String()) }),
);
export const SuspendedSchema = named(
  'StaffAccountSuspended',
  Type.Object({ id: Type.String(), status: Type.Literal('suspended'), suspendedAt: TimeSchema }),
);
export const RestoredSchema = named(
  'StaffAccountRestored',
  Type.Object({ id: Type.String(), status: Type.Literal('active'), restoredAt: TimeSchema }),
);
export const SessionsEndedSchema = named(
  'StaffSessionsEnded',
  Type.Object({ ended: Type.Integer({ description: 'How many web and API sessions ended (device tokens stay)' }) }),
);

export const AuditQuery = Strict({
  staff: Type.Optional(
    Type.String({ minLength: 1, maxLength: 254, description: "A staff member's account id or email" }),
  ),
  account: Type.Optional(IdSchema),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'e.g. staff.account_viewed' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Records at or after this time' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,4}$', description: `Records a page: 1 to ${AUDIT_PAGE_MAX}, 50 unless given` }),
  ),
  format: Type.Optional(
    Type.Enum(['json', 'csv'], {
      description: 'csv: the page as text/csv (so does Accept: text/csv); the next cursor in the X-Next-Cursor header',
    }),
  ),
});
export const AuditRecordSchema = named(
  'AuditRecord',
  Type.Object({
    id: Type.String(),
    at: TimeSchema,
    action: Type.String(),
    staffId: nullable(
      Type.String({ description: 'The staff member who acted (null: not a staff act, or their account was erased)' }),
    ),
    staffEmail: nullable(Type.String({ description: "The staff member's email now" })),
    accountId: nullable(Type.String({ description: 'The account acted on (null once it is erased)' })),
    reason: nullable(Type.String()),
    detail: Type.Record(Type.String(), Type.Unknown()),
  }),
);
export const AuditPageSchema = named(
  'AuditPage',
  Type.Object({ records: Type.Array(AuditRecordSchema), cursor: Type.Union([Type.String(), Type.Null()]) }),
);

export const StaffMemberSchema = named(
  'StaffMember',
  Type.Object({
    id: Type.String(),
    email: nullable(Type.String()),
    role: RoleSchema,
    secondFactor: Type.Boolean({
      description: 'Whether two-step verification is enrolled; staff routes refuse staff without it',
    }),
    createdAt: TimeSchema,
  }),
);
export const StaffListSchema = named('StaffList', Type.Object({ staff: Type.Array(StaffMemberSchema) }));
export const AddStaffBody = named('AddStaffBody', Strict({ email: EmailSchema, role: RoleSchema }));
