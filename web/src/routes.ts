// The portal's pages. Each lives in its own folder (route.ts + lazily loaded page.tsx); adding one is an
// import and an entry in this list. The sign-in page is not one of them: it is an entry of its own
// (sign-in.html, account/sign-in/main.tsx), reached by a full page load.
import { appsRoute } from './account/apps/route';
import { cloudRoute } from './account/cloud/route';
import { createAccountRoute } from './account/create-account/route';
import { creditsRoute } from './account/credits/route';
import { deleteAccountRoute } from './account/delete-account/route';
import { deviceRoute } from './account/device/route';
import { devicesRoute } from './account/devices/route';
import { forgotPasswordRoute } from './account/forgot-password/route';
import { lockAccountRoute } from './account/lock/route';
import { overviewRoute } from './account/overview/route';
import { profileRoute } from './account/profile/route';
import { recoveryCancelRoute } from './account/recovery-cancel/route';
import { securityRoute } from './account/security/route';
import { sessionsRoute } from './account/sessions/route';
import { undoChangeRoute } from './account/undo-change/route';
import { cancelDeletionRoute } from './public/cancel-deletion/route';
import { checkDeviceRoute } from './public/check-device/route';
import { unlockObjectionRoute } from './public/unlock-objection/route';
import { unlockRequestRoute } from './public/unlock-request/route';
import { unlockStatusRoute } from './public/unlock-status/route';
import { rootRoute } from './shell/root';

export const routeTree = rootRoute.addChildren([
  overviewRoute,
  createAccountRoute,
  forgotPasswordRoute,
  sessionsRoute,
  profileRoute,
  securityRoute,
  devicesRoute,
  deviceRoute,
  deleteAccountRoute,
  undoChangeRoute,
  lockAccountRoute,
  recoveryCancelRoute,
  cloudRoute,
  appsRoute,
  creditsRoute,
  checkDeviceRoute,
  unlockRequestRoute,
  unlockStatusRoute,
  unlockObjectionRoute,
  cancelDeletionRoute,
]);
