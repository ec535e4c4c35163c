import type { components } from '@shared/api/schema';

export type StaffAccountView = components['schemas']['StaffAccountView'];
