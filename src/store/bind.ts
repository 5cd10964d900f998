/**
 * Query parameters. Every SQL text names its values as `{name:Type}`. Modern servers bind them
 * themselves (clickhouse-js `query_params`); servers without query parameters (18.16) get the values
 * inlined here — the one place that renders a value into SQL, strictly by the declared type.
 * Both paths validate first, so a value that does not fit its type fails the same way everywhere.
 */

export type ParamValue = string | number | readonly string[] | readonly number[];
export type Params = Readonly<Record<string, ParamValue>>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_()]+)\}/g;

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  UInt8: [0, 0xff],
  UInt16: [0, 0xffff],
  UInt32: [0, 0xffffffff],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
  Int8: [-0x80, 0x7f],
  Int16: [-0x8000, 0x7fff],
  Int32: [-0x80000000, 0x7fffffff],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export class ParamError extends Error {
  override readonly name = 'ParamError';
}

/** Renders one scalar as a SQL literal of `type`; throws ParamError when it does not fit. */
function literal(name: string, type: string, v: unknown): string {
  const range = INT_RANGES[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new ParamError(`parameter ${name}: ${String(v)} is not a ${type}`);
    }
    return String(v);
  }
  switch (type) {
    case 'String':
      if (typeof v !== 'string') throw new ParamError(`parameter ${name}: expected a string`);
      // ClickHouse string literals: backslash escapes; quote and backslash are the only specials.
      return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'Float64':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamError(`parameter ${name}: not a finite number`);
      return `toFloat64(${String(v)})`;
    case 'DateTime':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new ParamError(`parameter ${name}: DateTime takes integer epoch seconds, got ${String(v)}`);
      }
      return `toDateTime(${v}, 'UTC')`;
    case 'Date':
      if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) {
        throw new ParamError(`parameter ${name}: Date takes 'YYYY-MM-DD', got ${String(v)}`);
      }
      return `toDate('${v}')`;
    default:
      throw new ParamError(`parameter ${name}: unsupported type ${type}`);
  }
}

/** `inSet`: the placeholder follows `IN`, where old servers take a tuple, not an array literal. */
function render(name: string, type: string, v: ParamValue, inSet = false): string {
  const arr = /^Array\((\w+)\)$/.exec(type);
  if (!arr) return literal(name, type, v);
  if (!Array.isArray(v)) throw new ParamError(`parameter ${name}: expected an array`);
  const inner = arr[1];
  const items = (v as readonly unknown[]).map((x) => literal(name, inner, x));
  if (inSet) return items.length ? `(${items.join(', ')})` : '(NULL)';
  return items.length ? `[${items.join(', ')}]` : `emptyArray${inner}()`;
}

/** Checks that every placeholder has a value of its type (and no value is left unused). */
export function checkParams(sql: string, params: Params = {}): void {
  const used = new Set<string>();
  for (const m of sql.matchAll(PLACEHOLDER)) {
    const [, name, type] = m;
    if (!(name in params)) throw new ParamError(`parameter ${name} has no value`);
    render(name, type, params[name]);
    used.add(name);
  }
  for (const k of Object.keys(params)) if (!used.has(k)) throw new ParamError(`parameter ${k} is not used by the query`);
}

/** Replaces every `{name:Type}` by its literal (for servers without query parameters). */
export function inlineParams(sql: string, params: Params = {}): string {
  checkParams(sql, params);
  return sql.replace(PLACEHOLDER, (_m, name: string, type: string, offset: number) =>
    render(name, type, params[name], /\bIN\s*$/i.test(sql.slice(Math.max(0, offset - 8), offset))),
  );
}
