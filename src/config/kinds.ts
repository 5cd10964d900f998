// Value kinds for settings: each turns one raw string (from env or a flag) into a typed value, or says what is
// allowed. A kind knows nothing about which setting uses it; load.ts adds the setting's name to the message.
import { isIP } from 'node:net';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export interface Kind<T> {
  /** What is allowed, for --help and the README table: `1-65535`, `open | allowlist`, `byte size`. */
  readonly allowed: string;
  /** `problem` reads after the quoted value: `"70000" is not a port (1-65535)`. Secret kinds never quote it. */
  parse(raw: string): Parsed<T>;
  /** A default as a user would type it (`1GiB`, `true`), for --help and the README table. */
  show(value: T): string;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

const DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^[+-]?\d+$/;

/** Whole numbers only: "1e3", "0x10", "8.0" and " 80" are typos more often than intent. */
/** `1-65535`, but `-720 to 840`: a dash after a minus sign reads as another minus. */
const range = (min: number, max: number | string): string => (min < 0 ? `${min} to ${max}` : `${min}-${max}`);

export function int(min: number, max: number, maxLabel = String(max)): Kind<number> {
  const allowed = range(min, maxLabel);
  return {
    allowed,
    parse(raw) {
      if (!(min < 0 ? SIGNED_DIGITS : DIGITS).test(raw)) return bad(`is not an integer (${allowed})`);
      const n = Number(raw);
      return n >= min && n <= max ? ok(n) : bad(`is out of range (${range(min, max)})`);
    },
    show: String,
  };
}

export function port(): Kind<number> {
  return {
    allowed: '1-65535',
    parse(raw) {
      const n = Number(raw);
      return DIGITS.test(raw) && n >= 1 && n <= 65535 ? ok(n) : bad('is not a port (1-65535)');
    },
    show: String,
  };
}

export function oneOf<const V extends string>(values: readonly V[]): Kind<V> {
  const allowed = values.join(' | ');
  return {
    allowed,
    parse: (raw) => ((values as readonly string[]).includes(raw) ? ok(raw as V) : bad(`is not one of ${allowed}`)),
    show: String,
  };
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export function bool(): Kind<boolean> {
  return {
    allowed: 'true | false (also 1/0, yes/no)',
    parse(raw) {
      const v = raw.toLowerCase();
      if (TRUE.has(v)) return ok(true);
      if (FALSE.has(v)) return ok(false);
      return bad('is not a boolean (true/false, 1/0, yes/no)');
    },
    show: String,
  };
}

/** Decimal units are powers of 1000 and binary ones of 1024, as the IEC says; a bare number is bytes. */
const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

export function parseByteSize(raw: string): number | undefined {
  const m = BYTE_SIZE.exec(raw);
  const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const n = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function formatByteSize(n: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

export function bytes(min: number, max = Number.MAX_SAFE_INTEGER): Kind<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${formatByteSize(min)}` : `${formatByteSize(min)}-${formatByteSize(max)}`;
  return {
    allowed: `byte size ${range} (e.g. 8192, 512MiB, 2GB)`,
    parse(raw) {
      const n = parseByteSize(raw);
      if (n === undefined) return bad('is not a byte size (a number with an optional unit B, kB, KiB, MB, MiB, GB, GiB, TB, TiB)');
      return n >= min && n <= max ? ok(n) : bad(`is out of range (${range})`);
    },
    show: formatByteSize,
  };
}

const UNIT_MS = { ms: 1, s: 1e3, m: 60e3, min: 60e3, h: 3600e3, d: 86400e3 } as const;
type DurationUnit = 'ms' | 's' | 'min' | 'd';
const UNIT_NAME: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', min: 'minutes', d: 'days' };
const DURATION = /^(\d+)\s*(ms|s|min|m|h|d)?$/;

/**
 * A duration counted in the unit the setting's name says (`_S`, `_MS`, days), so a bare number is never
 * ambiguous; a suffix (`2m`, `500ms`) is accepted too when it converts to a whole number of that unit.
 */
export function duration(unit: DurationUnit, min: number, max: number): Kind<number> {
  const name = UNIT_NAME[unit];
  const allowed = `${min}-${max} ${name}`;
  return {
    allowed,
    parse(raw) {
      const m = DURATION.exec(raw);
      if (!m) return bad(`is not a duration (${allowed}; a suffix ms, s, m, h or d is optional)`);
      const n = m[2] === undefined ? Number(m[1]) : (Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]) / UNIT_MS[unit];
      if (!Number.isInteger(n)) return bad(`is not a whole number of ${name}`);
      return n >= min && n <= max ? ok(n) : bad(`is out of range (${allowed})`);
    },
    show: String,
  };
}

export function text(): Kind<string> {
  return {
    allowed: 'text',
    parse: (raw) => (raw.includes('\0') ? bad('contains a NUL character') : ok(raw)),
    show: String,
  };
}

export function path(): Kind<string> {
  return { ...text(), allowed: 'path' };
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function host(): Kind<string> {
  return {
    allowed: 'IP address or host name',
    parse: (raw) => (isIP(raw) !== 0 || HOST_NAME.test(raw) ? ok(raw) : bad('is not an IP address or host name')),
    show: String,
  };
}

/** Database and cluster names end up in SQL text, so only plain identifiers pass. */
export function identifier(): Kind<string> {
  return {
    allowed: 'identifier [A-Za-z_][A-Za-z0-9_]*',
    parse: (raw) => (/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(raw) ? ok(raw) : bad('is not an identifier (letters, digits, _; not starting with a digit)')),
    show: String,
  };
}

export function httpUrl(): Kind<string> {
  return {
    allowed: 'http:// or https:// URL',
    parse(raw) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return bad('is not a URL (http://host:port or https://host:port)');
      }
      return url.protocol === 'http:' || url.protocol === 'https:' ? ok(raw) : bad('is not an http:// or https:// URL');
    },
    show: String,
  };
}

/** Checked with the runtime's own Intl data, and canonicalised (`asia/shanghai` → `Asia/Shanghai`). */
export function timeZone(): Kind<string> {
  return {
    allowed: 'IANA time zone (e.g. Asia/Shanghai, UTC)',
    parse(raw) {
      try {
        return ok(new Intl.DateTimeFormat('en-US', { timeZone: raw }).resolvedOptions().timeZone);
      } catch {
        return bad('is not an IANA time zone (e.g. Asia/Shanghai, UTC)');
      }
    },
    show: String,
  };
}

/** Comma-separated, blanks around commas and empty entries (a trailing comma) ignored. */
function entries(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `*` alone, or origins as browsers send them: scheme://host[:port], no path. */
export function origins(): Kind<readonly string[]> {
  return {
    allowed: '* or comma-separated origins (https://app.example.com,http://localhost:3000)',
    parse(raw) {
      const list = entries(raw);
      if (list.includes('*')) return list.length === 1 ? ok(list) : bad('mixes * with origins (* allows every origin)');
      const out: string[] = [];
      for (const [i, entry] of list.entries()) {
        let url: URL | undefined;
        try {
          url = new URL(entry);
        } catch {
          url = undefined;
        }
        const origin = url?.origin;
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || origin !== entry.replace(/\/$/, '')) {
          return bad(`has an entry ${i + 1} that is not an origin (scheme://host[:port], no path)`);
        }
        out.push(origin);
      }
      return ok(out);
    },
    show: (v) => v.join(','),
  };
}

export type ApiRole = 'read' | 'admin';
export interface ApiKey {
  readonly key: string;
  readonly role: ApiRole;
}

const API_KEY = /^[A-Za-z0-9._~+/=-]{16,256}$/;

/**
 * `key[:read|:admin]`, comma-separated; a key without a role reads only (least privilege). Problems never quote
 * the value: it is a secret. Short keys are refused: they are guessable, and the rate limit is per key.
 */
export function apiKeys(): Kind<readonly ApiKey[]> {
  return {
    allowed: 'comma-separated key[:read|:admin] (key: 16-256 of A-Z a-z 0-9 . _ ~ + / = -)',
    parse(raw) {
      const out: ApiKey[] = [];
      const seen = new Set<string>();
      for (const [i, entry] of entries(raw).entries()) {
        const parts = entry.split(':');
        const [key, role = 'read'] = parts;
        if (parts.length > 2 || (role !== 'read' && role !== 'admin')) {
          return bad(`entry ${i + 1} is not key, key:read or key:admin`);
        }
        if (!API_KEY.test(key)) return bad(`entry ${i + 1} has a key that is not 16-256 of A-Z a-z 0-9 . _ ~ + / = -`);
        if (seen.has(key)) return bad(`entry ${i + 1} repeats an earlier key`);
        seen.add(key);
        out.push({ key, role });
      }
      return ok(out);
    },
    show: () => '',
  };
}

/** One working window on one ISO weekday (1 = Monday … 7 = Sunday), minutes after local midnight, [start, end). */
export interface WorkingWindow {
  readonly day: number;
  readonly startMin: number;
  readonly endMin: number;
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const DAY_SPEC = /^([A-Za-z]{3})(?:-([A-Za-z]{3}))?$/;
const WINDOW = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function dayNumber(name: string): number | undefined {
  const i = DAY_NAMES.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  return i < 0 ? undefined : i + 1;
}

const hhmm = (min: number): string => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** Canonical text: consecutive days with the same windows as one range (`Mon-Fri 08:00-18:00, Sat 09:00-12:00`). */
export function formatWorkingHours(windows: readonly WorkingWindow[]): string {
  const perDay = DAY_NAMES.map((_, i) =>
    windows.filter((w) => w.day === i + 1).sort((a, b) => a.startMin - b.startMin).map((w) => `${hhmm(w.startMin)}-${hhmm(w.endMin)}`).join(' '),
  );
  const parts: string[] = [];
  for (let i = 0; i < 7; ) {
    let j = i;
    while (j + 1 < 7 && perDay[j + 1] === perDay[i]) j++;
    if (perDay[i] !== '') parts.push(`${DAY_NAMES[i]}${j > i ? `-${DAY_NAMES[j]}` : ''} ${perDay[i]}`);
    i = j + 1;
  }
  return parts.length ? parts.join(', ') : 'none';
}

/**
 * Working hours in the report time zone: rules separated by `,` or `;`, each `<day or day range> <HH:MM-HH:MM>…`
 * (`Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-12:00`), or `none`. A window ends at most at 24:00 and after it
 * starts: an overnight shift is written as two rules, so a window always belongs to one local day.
 */
export function parseWorkingHours(raw: string): Parsed<readonly WorkingWindow[]> {
  if (raw.trim().toLowerCase() === 'none') return ok([]);
  const out: WorkingWindow[] = [];
  const rules = raw.split(/[,;]/).map((s) => s.trim());
  for (const [i, rule] of rules.entries()) {
    const n = `rule ${i + 1}`;
    if (rule === '') return bad(`has an empty ${n}`);
    const [days, ...windows] = rule.split(/\s+/);
    const d = DAY_SPEC.exec(days);
    const first = d ? dayNumber(d[1]) : undefined;
    const last = d ? (d[2] === undefined ? first : dayNumber(d[2])) : undefined;
    if (first === undefined || last === undefined) return bad(`has ${n} not starting with a day or day range (Mon, Mon-Fri; days Mon Tue Wed Thu Fri Sat Sun)`);
    if (last < first) return bad(`has ${n} with a day range that runs backwards (write Sat-Sun, not Sun-Sat)`);
    if (windows.length === 0) return bad(`has ${n} without a time window (HH:MM-HH:MM)`);
    for (const w of windows) {
      const m = WINDOW.exec(w);
      if (!m) return bad(`has ${n} with a window that is not HH:MM-HH:MM`);
      const [sh, sm, eh, em] = m.slice(1).map(Number);
      const start = sh * 60 + sm;
      const end = eh * 60 + em;
      if (sm > 59 || em > 59 || start > 1440 || end > 1440) return bad(`has ${n} with a time past 24:00 or a minute past 59`);
      if (end <= start) return bad(`has ${n} with a window that does not end after it starts (split an overnight shift into two rules)`);
      for (let day = first; day <= last; day++) {
        if (out.some((o) => o.day === day && o.startMin < end && start < o.endMin)) return bad(`has ${n} overlapping an earlier window on ${DAY_NAMES[day - 1]}`);
        out.push({ day, startMin: start, endMin: end });
      }
    }
  }
  out.sort((a, b) => a.day - b.day || a.startMin - b.startMin);
  return ok(out);
}

export function workingHours(): Kind<readonly WorkingWindow[]> {
  return {
    allowed: 'days and windows, e.g. Mon-Fri 08:00-18:00, Sat 09:00-12:00 (or none)',
    parse: parseWorkingHours,
    show: formatWorkingHours,
  };
}
