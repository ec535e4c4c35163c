import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { IdSchema, Strict, TimeSchema } from '../http/schemas.js';

const AmountSchema = Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Whole credits, at least 1' });
const ReasonSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\x00-\\x1f\\x7f]+$',
  description: 'Why, as the person will see it in their history; no control characters',
});
const IdempotencyKeySchema = Type.String({
  minLength: 8,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:-]+$',
  description:
    'Chosen by the caller, unique per change (a UUID, say): a retried request with the same key makes no second change',
});

export const CreditEntrySchema = named(
  'CreditEntry',
  Type.Object({
    id: Type.String(),
    kind: Type.Enum(['grant', 'spend', 'refund', 'expiry'], { description: 'grant, spend, refund or expiry' }),
    amount: Type.Integer({
      description: 'Signed: a spend or an expiry is negative; the balance is the sum of every entry',
    }),
    reason: Type.String({ description: "Why; an expiry repeats its grant's reason" }),
    at: TimeSchema,
    expiresAt: Type.Union([TimeSchema, Type.Null()], {
      description:
        "A grant's expiry: what is left of it then (spends take from the soonest-expiring credits first) is taken away by an expiry entry; null when it does not expire",
    }),
  }),
);

export const CreditsSchema = named(
  'Credits',
  Type.Object({
    balance: Type.Integer(),
    currency: Type.Literal('credits'),
    entries: Type.Array(CreditEntrySchema, { description: 'Newest first, at most 50' }),
    cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as ?cursor= for the next, older page; null on the last page',
    }),
  }),
);

export const CreditsQuery = named(
  'CreditsQuery',
  Strict({
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'The cursor of the previous page' })),
  }),
);

export const PostedCreditSchema = named(
  'PostedCredit',
  Type.Object({
    entry: CreditEntrySchema,
    balance: Type.Integer({ description: 'The balance after it' }),
  }),
);

export const SpendCreditsBody = named(
  'SpendCreditsBody',
  Strict({
    amount: AmountSchema,
    reason: ReasonSchema,
    idempotencyKey: IdempotencyKeySchema,
  }),
);

export const AdjustCreditsBody = named(
  'AdjustCreditsBody',
  Strict({
    amount: Type.Integer({
      minimum: -1_000_000_000,
      maximum: 1_000_000_000,
      description:
        'Not 0. Positive: a grant (or a refund, with kind "refund"). Negative: a correction that takes credits back (recorded as a spend), never below zero',
    }),
    reason: ReasonSchema,
    idempotencyKey: IdempotencyKeySchema,
    kind: Type.Optional(
      Type.Enum(['grant', 'refund'], { description: 'For a positive amount: grant (the default) or refund' }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 40,
        description:
          'A grant only: when what is left of it expires (in the future, within ten years); without it the grant never expires',
      }),
    ),
  }),
);

export const StaffCreditsQuery = named(
  'StaffCreditsQuery',
  Strict({
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'The cursor of the previous page' })),
    reason: Type.Optional(
      Type.String({ maxLength: 500, description: 'Why staff look (required; audited), e.g. "ticket 123"' }),
    ),
  }),
);

export const AccountIdParams = named('CreditsAccountParams', Strict({ id: IdSchema }));
