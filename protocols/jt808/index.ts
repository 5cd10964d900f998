/**
 * fleetgate's JT/T 808 codec: pure functions, Buffers in, values out. No I/O, no logging, no clock.
 * See shared/jt808/SPEC.md; each module names the section it follows.
 */
export * from './errors.js';
export * from './bcd.js';
export * from './text.js';
export * from './framing.js';
export * from './header.js';
export * from './packet.js';
export * from './messages/index.js';
export * from './subpackage.js';
