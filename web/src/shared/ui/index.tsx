// The portal's controls. A page that needs only the basic ones (the sign-in page) imports
// @shared/ui/base: the choices (checkbox, radio group, meter) are then not in its JavaScript.
export * from './base';
export * from './choices';
