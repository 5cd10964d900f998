/**
 * Options every body decoder takes (SPEC §4.3 layout, §5.1 time zone, §5.3 0x0100 width guess).
 */
import type { HeaderLayout } from '../header.js';

export interface BodyOptions {
  layout: HeaderLayout /* from the header */;
  utcOffsetMinutes: number /* terminal clock, default 480 */;
  registerVersion?: '2011' | '2013' | '2019' /* override the 0x0100 width guess */;
}

export const DEFAULT_BODY_OPTIONS: BodyOptions = { layout: '2013', utcOffsetMinutes: 480 };
