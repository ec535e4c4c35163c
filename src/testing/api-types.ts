import type { components } from '@shared/api/schema.js';

/** A response or request body as the OpenAPI document declares it (generated into web/src/shared/api). */
export type Api<Name extends keyof components['schemas']> = components['schemas'][Name];

/**
 * A session issued as a bearer token (POST /v1/sessions or /v1/signup/complete without a cookie): the
 * answer then carries the token, which the schema leaves optional because a cookie session's does not.
 */
export type BearerSession = Api<'SessionIssued'> & { token: string };
