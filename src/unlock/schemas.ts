import { Type } from 'typebox';
import { LocaleSchema } from '../accounts/schemas.js';
import { CaptchaPayloadSchema } from '../captcha/schemas.js';
import { SerialSchema } from '../devices/schemas.js';
import { named } from '../http/openapi.js';
import { EmailSchema, IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import { PROOF_FILE_TYPES } from './proofs.js';
import { PROOF_KINDS } from './service.js';

// Enums rather than unions of literals: a wrong value then gets one error that names the field.
export const StatusSchema = Type.Enum(['submitted', 'waiting', 'released', 'rejected', 'objected'], {
  description:
    'submitted (waiting for staff) → waiting (approved; released at releaseAt unless the owner objects) → released; or rejected / objected',
});
const ProofKindSchema = Type.Enum([...PROOF_KINDS], { description: `The kind of proof: ${PROOF_KINDS.join(', ')}` });
const nullableTime = (description: string) => Type.Union([TimeSchema, Type.Null()], { description });

export const RequestViewSchema = named(
  'UnlockRequestStatus',
  Type.Object({
    id: Type.String(),
    status: StatusSchema,
    createdAt: TimeSchema,
    decidedAt: nullableTime('When staff approved or rejected it'),
    releaseAt: nullableTime('Approved: when the lock is released unless the owner objects first'),
    releasedAt: nullableTime('When the lock was released'),
  }),
);
export const OwnerUnlockRequestListSchema = named(
  'OwnerUnlockRequestList',
  Type.Object({
    requests: Type.Array(
      named(
        'OwnerUnlockRequest',
        Type.Object({
          ...RequestViewSchema.properties,
          serialHint: Type.String({ description: 'The last characters of the serial, as the owner knows the device' }),
        }),
      ),
    ),
  }),
);
const ProofFileSchema = named(
  'UnlockProofFile',
  Type.Object({
    id: Type.String(),
    contentType: Type.Enum([...PROOF_FILE_TYPES], { description: 'What the bytes are, as sniffed from them' }),
    size: Type.Integer({ description: 'Bytes' }),
    createdAt: TimeSchema,
  }),
);
export const ProofFilesSchema = named('UnlockProofFiles', Type.Object({ files: Type.Array(ProofFileSchema) }));
export const ProofUploadHeaders = Type.Object({
  'x-status-token': Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'The statusToken from POST /v1/unlock-requests (a header, so that it stays out of logs)',
  }),
});
export const ProofUploadBody = named(
  'UnlockProofUpload',
  Type.Unknown({
    description:
      'The bytes of the file: a JPEG, PNG or WebP image or a PDF, at most 10 MiB (what it is comes from its bytes)',
  }),
);
export const ProofParams = Strict({ id: IdSchema, proofId: IdSchema });

export const StaffViewSchema = named(
  'UnlockRequest',
  Type.Object({
    ...RequestViewSchema.properties,
    serialHint: Type.String({ description: 'The last characters of the serial' }),
    contact: Type.Object({ email: Type.String() }),
    proof: Type.Object({
      kind: ProofKindSchema,
      text: Type.Union([Type.String(), Type.Null()]),
      files: Type.Array(ProofFileSchema, {
        description:
          'The files the requester uploaded; GET /v1/admin/unlock-requests/{id}/proofs/{proofId} serves each',
      }),
    }),
    lock: Type.Object({
      locked: Type.Boolean({ description: 'Whether a lock is held on the serial (or IMEI) now' }),
      ownerActive: Type.Boolean({
        description: 'Whether the lock holder is an active account, which an approval tells',
      }),
      lostMode: Type.Boolean({
        description:
          'Whether the owner put the locked device in lost mode (in the last 30 days): approving then takes two different staff members',
      }),
    }),
    firstApproval: Type.Union(
      [
        Type.Object({
          staffId: Type.String(),
          staffEmail: Type.Union([Type.String(), Type.Null()]),
          at: TimeSchema,
        }),
        Type.Null(),
      ],
      {
        description:
          'Four eyes (device in lost mode): the first approval, awaiting a second by a different staff member; null otherwise',
      },
    ),
  }),
);
export const RequestParams = Strict({ id: IdSchema });
/** Decisions carry no fields: the body is `{}` or absent, and anything else in it is refused. */
export const NoFields = named('EmptyBody', Strict({}, 'No fields; the body may also be left out'));
/** A staff decision: an optional note, kept in the audit log with who decided. The body may be left out. */
export const DecisionBody = named(
  'UnlockDecisionBody',
  Strict(
    {
      note: Type.Optional(
        Type.String({
          maxLength: 1000,
          description:
            'Why (what the proof showed): kept in the audit log as the reason, never sent to the requester or the owner',
        }),
      ),
    },
    'An optional note; the body may also be left out',
  ),
);

export const UnlockRequestBody = named(
  'UnlockRequestBody',
  Strict({
    serial: SerialSchema,
    contact: Strict({ email: EmailSchema }),
    proof: Strict({
      kind: ProofKindSchema,
      text: Type.Optional(
        Type.String({
          maxLength: 2000,
          description: 'What the proof shows (seller, date, order number); required for kind "other"',
        }),
      ),
    }),
    captcha: CaptchaPayloadSchema,
    locale: Type.Optional(LocaleSchema),
  }),
);

export const UnlockRequestCreatedSchema = named(
  'UnlockRequestCreated',
  Type.Object({
    id: Type.String(),
    status: Type.Literal('submitted'),
    statusToken: Type.String({ description: 'Shown once: GET /v1/unlock-requests/{id}?token=… tells the status' }),
  }),
);

export const StatusTokenQuery = Strict({
  token: Type.String({ minLength: 1, maxLength: 128, description: 'The statusToken from POST /v1/unlock-requests' }),
});

export const StaffListQuery = Strict({ status: Type.Optional(StatusSchema) });

export const UnlockRequestListSchema = named(
  'UnlockRequestList',
  Type.Object({ unlockRequests: Type.Array(StaffViewSchema) }),
);
