/**
 * `fleetgate decode`: the protocol analyser. Hex frames in (arguments, or stdin lines), one JSON object
 * per frame out (JSON Lines). A line may hold one frame or a captured stream of several; a line
 * without any 0x7e is taken as one frame's escaped bytes without its delimiters.
 *
 * Output shape, per frame:
 *   {"ok":true,"version":"2013","msgId":"0x0200","phone":"13800138000","serial":1,"checksumOk":true,
 *    "subpackage":null,"body":{...}}
 *   {"ok":false,"error":"<what and where>","hex":"7e…7e"}
 * Buffers print as hex, times as ISO-8601 UTC, message/item/parameter ids as "0x…" strings.
 * Fragments of a subpackaged message print their raw bytes; when all fragments of a message are in the
 * input, the reassembled message follows as one more object (`"subpackage":{"total":n,"reassembled":true}`).
 */
import { createInterface } from 'node:readline';
import {
  Reassembler,
  decodeBody,
  decodePacket,
  describeError,
  unescapeFrame,
  type DecodeError,
  type DecodedBody,
  type Header,
  type Location,
} from '../../protocols/jt808/index.js';
import type { CliIo } from '../cli.js';

export const DECODE_SUMMARY = 'decode JT/T 808 frames given as hex (arguments or stdin) to JSON Lines';

const HELP = `Usage: fleetgate decode [options] [<hex>...]

Decodes JT/T 808 frames given as hex and prints one JSON object per frame (JSON Lines).
Without <hex> arguments, reads stdin: one frame or a raw captured stream per line (several
frames per line are fine). Spaces, "0x" prefixes and ":" or "-" separators are ignored;
empty lines and lines starting with "#" are skipped. Quote an argument that contains spaces.

Options:
  --utc-offset <minutes>  terminal clock offset from UTC, for device times (default 480 = GMT+8)
  --register-version <v>  force the 0x0100/0x0801/0x8800 body version: 2011, 2013 or 2019
  --pretty                indent the JSON (one object per block instead of per line)
  -h, --help              show this help

Exit status: 0 when every frame decoded, 1 when any failed, 2 on a usage error.

Example:
  fleetgate decode 7e0002000001380013800000017e
  cat capture.hex | fleetgate decode --utc-offset 0
`;

export interface DecodeOptions {
  utcOffsetMinutes: number;
  registerVersion?: '2011' | '2013' | '2019';
  pretty: boolean;
}

type ParsedArgs = { ok: true; options: DecodeOptions; hex: string[]; help: boolean } | { ok: false; error: string };

export function parseDecodeArgs(args: string[]): ParsedArgs {
  const options: DecodeOptions = { utcOffsetMinutes: 480, pretty: false };
  const hex: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      hex.push(...args.slice(i + 1));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? args[++i];
    switch (name) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--pretty':
        options.pretty = true;
        break;
      case '--utc-offset': {
        const v = value();
        if (v === undefined || !/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 14 * 60) {
          return { ok: false, error: `--utc-offset needs whole minutes between -840 and 840, got ${v === undefined ? 'nothing' : `"${v}"`}` };
        }
        options.utcOffsetMinutes = Number(v);
        break;
      }
      case '--register-version': {
        const v = value();
        if (v !== '2011' && v !== '2013' && v !== '2019') return { ok: false, error: `--register-version must be 2011, 2013 or 2019, got ${v === undefined ? 'nothing' : `"${v}"`}` };
        options.registerVersion = v;
        break;
      }
      default:
        if (a.startsWith('-') && a.length > 1) return { ok: false, error: `unknown option "${a}"` };
        hex.push(a);
    }
  }
  return { ok: true, options, hex, help };
}

// ---------------------------------------------------------------------------------------------------
// Input: hex text → bytes → candidate frames.

/** Parses one input line's hex; returns the bytes or a reason. */
export function parseHexLine(line: string): Buffer | string {
  let hex = '';
  for (const token of line.trim().split(/[\s:,-]+/)) {
    if (token === '') continue;
    const digits = token.replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]*$/.test(digits)) return `not hex: "${token.length > 24 ? `${token.slice(0, 24)}…` : token}"`;
    hex += digits;
  }
  if (hex.length % 2 !== 0) return `odd number of hex digits (${hex.length})`;
  return Buffer.from(hex, 'hex');
}

interface Candidate {
  /** Byte offset in the line. */
  at: number;
  /** The bytes between two delimiters (still escaped). */
  inner: Buffer;
  /** The wire bytes as given, for error reports. */
  wireHex: string;
}

interface Noise {
  at: number;
  bytes: Buffer;
  what: string;
}

/** Splits a line's bytes at 0x7e like the gateway's splitter (SPEC §3.3): `7e A 7e 7e B 7e`, `7e A 7e B 7e`. */
export function splitLine(bytes: Buffer): { frames: Candidate[]; noise: Noise[] } {
  const first = bytes.indexOf(0x7e);
  if (first < 0) return { frames: bytes.length ? [{ at: 0, inner: bytes, wireHex: bytes.toString('hex') }] : [], noise: [] };
  const frames: Candidate[] = [];
  const noise: Noise[] = [];
  if (first > 0) noise.push({ at: 0, bytes: bytes.subarray(0, first), what: `${first} byte(s) before the first 0x7e skipped` });
  let open = first;
  for (let d = bytes.indexOf(0x7e, open + 1); d >= 0; d = bytes.indexOf(0x7e, open + 1)) {
    if (d > open + 1) frames.push({ at: open, inner: bytes.subarray(open + 1, d), wireHex: bytes.toString('hex', open, d + 1) });
    open = d;
  }
  if (open < bytes.length - 1) {
    const tail = bytes.subarray(open);
    noise.push({ at: open, bytes: tail, what: `incomplete frame: ${tail.length} byte(s) after the last 0x7e, no closing 0x7e` });
  }
  return { frames, noise };
}

// ---------------------------------------------------------------------------------------------------
// Output: decoded values → JSON-friendly objects.

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Generic conversion: Buffers → hex, `time` → ISO, ids → "0x…", undefined dropped. */
export function toJson(value: unknown, key = ''): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (key === 'time') return iso(value);
    if (key === 'msgId' || key === 'replyMsgId') return hex4(value);
    return value;
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const j = toJson(v, k);
      if (j !== undefined) out[k] = j;
    }
    return out;
  }
  return String(value);
}

/** Location fields left out of the analyser view: raw forms of values printed in units, and the region bytes. */
const LOCATION_HIDDEN = new Set(['latE6', 'lonE6', 'speedRaw', 'mileageRaw', 'fuelRaw', 'extraOrder', 'extras']);

export function locationJson(loc: Location): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(loc)) {
    if (LOCATION_HIDDEN.has(k) || k === 'kind' || v === undefined) continue;
    if (k === 'coordinatesValid' && v === true) continue; // only worth a key when the values are impossible
    out[k] = toJson(v, k);
  }
  out.extras = loc.extras.map((x) => ({ id: hex2(x.id), len: x.len, hex: x.raw.toString('hex') }));
  return out;
}

interface ParamLike {
  id: number;
  len: number;
  raw: Buffer;
  value?: number | string;
}

function paramsJson(params: ParamLike[]): unknown[] {
  return params.map((p) => (p.value === undefined ? { id: hex4(p.id), len: p.len, hex: p.raw.toString('hex') } : { id: hex4(p.id), len: p.len, value: p.value, hex: p.raw.toString('hex') }));
}

/** The body as the analyser prints it (no `kind`; message-specific views where the generic one is noisy). */
export function bodyJson(b: DecodedBody): Record<string, unknown> {
  const { kind: _kind, ...rest } = b;
  switch (b.kind) {
    case 'location':
      return locationJson(b);
    case 'positionQueryResponse':
      return { replySerial: b.replySerial, ...locationJson(b.location) };
    case 'batchLocation':
      return { type: b.type, items: b.items.map(locationJson) };
    case 'mediaData': {
      const { location, data, ...head } = rest as Omit<typeof b, 'kind'>;
      return { ...(toJson(head) as object), ...(location ? { location: locationJson(location) } : {}), dataLength: data.length, data: data.toString('hex') };
    }
    case 'register': {
      const { raw: _raw, version: _version, ...fields } = rest as Omit<typeof b, 'kind'>;
      return toJson(fields) as Record<string, unknown>;
    }
    case 'setParams':
    case 'paramsResponse': {
      const { params, ...head } = rest as Omit<typeof b, 'kind'>;
      return { ...(toJson(head) as object), params: paramsJson(params as ParamLike[]) };
    }
    case 'queryParams':
      return { ids: b.ids.map(hex4), ...(b.extra ? { extra: b.extra.toString('hex') } : {}) };
    default:
      return toJson(rest) as Record<string, unknown>;
  }
}

// ---------------------------------------------------------------------------------------------------
// Decoding one candidate frame.

export type FrameJson = { ok: true; [k: string]: unknown } | { ok: false; error: string; hex: string };

function headerJson(h: Header, version: string): Record<string, unknown> {
  return {
    version,
    msgId: hex4(h.msgId),
    phone: h.terminalId,
    serial: h.serial,
  };
}

/** Decodes one frame (the bytes between its delimiters) to the analyser's JSON. `where` prefixes errors. */
export function decodeFrameJson(inner: Buffer, wireHex: string, where: string, opts: DecodeOptions, reassembler?: Reassembler): FrameJson[] {
  const un = unescapeFrame(inner);
  if (!un.ok) return [{ ok: false, error: `${where}: ${un.code} at byte ${un.offset + 1} of the frame`, hex: wireHex }];
  const p = decodePacket(un.frame);
  if (!p.ok) {
    const h = (p as { header?: Header }).header;
    const ctx = h ? ` (${hex4(h.msgId)}, phone ${h.terminalId}, serial ${h.serial})` : '';
    return [{ ok: false, error: `${where}${ctx}: ${describeError(p as DecodeError)}`, hex: wireHex }];
  }
  const { header: h, body, checksumOk } = p.value;
  const head = { checksumOk };
  if (h.subpackage) {
    const out: FrameJson[] = [
      {
        ok: true,
        ...headerJson(h, h.layout),
        ...head,
        subpackage: { total: h.packetTotal, index: h.packetIndex },
        body: { fragmentLength: body.length, fragment: body.toString('hex') },
      },
    ];
    const r = reassembler?.add(h, body, 0);
    if (r?.status === 'complete') {
      const whole: Header = { ...h, serial: r.firstSerial, subpackage: false, packetTotal: 0, packetIndex: 0, bodyLength: r.body.length };
      out.push(bodyResult(whole, r.body, `${where} (reassembled ${r.total} fragments)`, wireHex, opts, { checksumOk: true }, { total: r.total, reassembled: true }));
    }
    return out;
  }
  return [bodyResult(h, body, where, wireHex, opts, head, null)];
}

function bodyResult(h: Header, body: Buffer, where: string, wireHex: string, opts: DecodeOptions, head: { checksumOk: boolean }, subpackage: unknown): FrameJson {
  const r = decodeBody(h, body, { utcOffsetMinutes: opts.utcOffsetMinutes, ...(opts.registerVersion ? { registerVersion: opts.registerVersion } : {}) });
  if (!r.ok) {
    if (r.code === 'UNSUPPORTED') {
      // Vendor ids and encrypted bodies are valid frames the codec does not interpret: shown raw.
      return { ok: true, ...headerJson(h, h.layout), ...head, subpackage, body: { undecoded: r.detail ?? 'unsupported', hex: body.toString('hex') } };
    }
    return { ok: false, error: `${where} (${hex4(h.msgId)}, phone ${h.terminalId}, serial ${h.serial}): body ${describeError(r)}`, hex: wireHex };
  }
  // 2011 and 2013 share one header: only the 0x0100 body tells them apart (SPEC §1, §5.3).
  const version = r.value.kind === 'register' && r.value.version === '2011' ? '2011' : h.layout;
  return { ok: true, ...headerJson(h, version), ...head, subpackage, body: bodyJson(r.value) };
}

/** Decodes one input line (or argument) to JSON objects: one per frame, plus one per noise run. */
export function decodeLine(line: string, label: string, opts: DecodeOptions, reassembler?: Reassembler): FrameJson[] {
  const bytes = parseHexLine(line);
  if (typeof bytes === 'string') return [{ ok: false, error: `${label}: ${bytes}`, hex: line.trim().slice(0, 200) }];
  const { frames, noise } = splitLine(bytes);
  const out: { at: number; json: FrameJson[] }[] = [];
  for (const n of noise) out.push({ at: n.at, json: [{ ok: false, error: `${label}, byte ${n.at}: ${n.what}`, hex: n.bytes.toString('hex') }] });
  frames.forEach((f, i) => out.push({ at: f.at, json: decodeFrameJson(f.inner, f.wireHex, `${label}, frame ${i + 1} at byte ${f.at}`, opts, reassembler) }));
  return out.sort((a, b) => a.at - b.at).flatMap((o) => o.json);
}

// ---------------------------------------------------------------------------------------------------
// The subcommand.

export async function runDecode(args: string[], io: CliIo): Promise<number> {
  const parsed = parseDecodeArgs(args);
  if (!parsed.ok) {
    io.err(`fleetgate decode: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  if (parsed.help) {
    await io.out(HELP);
    return 0;
  }
  const { options, hex } = parsed;
  const reassembler = new Reassembler({ timeoutMs: Number.MAX_SAFE_INTEGER, maxSets: 1024, maxBytes: 64 << 20 });
  let failed = false;
  const emit = async (objects: FrameJson[]): Promise<void> => {
    for (const o of objects) {
      if (!o.ok) failed = true;
      await io.out(`${options.pretty ? JSON.stringify(o, null, 2) : JSON.stringify(o)}\n`);
    }
  };
  if (hex.length > 0) {
    for (let i = 0; i < hex.length; i++) await emit(decodeLine(hex[i], `argument ${i + 1}`, options, reassembler));
    return failed ? 1 : 0;
  }
  if (io.stdin.isTTY) io.err('fleetgate decode: reading hex from stdin, one frame or stream per line (Ctrl-D to end)\n');
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    await emit(decodeLine(trimmed, `line ${n}`, options, reassembler));
  }
  return failed ? 1 : 0;
}
