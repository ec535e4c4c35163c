import type { components } from '@shared/api/schema.js';

/** A response or request body as the OpenAPI document declares it (generated into web/src/shared/api). */
export type Api<Name extends keyof components['schemas']> = components['schemas'][Name];
