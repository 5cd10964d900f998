/**
 * Checks a JSON response against the schema the API publishes at /docs/json (the subset our schemas use:
 * type, required, properties, items, enum, $ref into components). Extra properties are errors too: the
 * docs must list every field a client can get.
 */
type Schema = Record<string, any>;

export function checkSchema(spec: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/components/schemas/', '');
    const target = spec.components?.schemas?.[name];
    if (!target) return [`${at}: unresolved ${schema.$ref}`];
    return checkSchema(spec, target, value, at);
  }
  const errors: string[] = [];
  const type = schema.type as string | undefined;
  const is = (t: string): boolean =>
    t === 'integer' ? Number.isInteger(value) : t === 'number' ? typeof value === 'number' : t === 'array' ? Array.isArray(value)
      : t === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value) : typeof value === t;
  if (type && !is(type)) return [`${at}: expected ${type}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${schema.enum.join('|')}`);
  if (type === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) errors.push(`${at}.${k}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const p = schema.properties[k];
      if (!p) errors.push(`${at}.${k}: not in the schema`);
      else errors.push(...checkSchema(spec, p, v, `${at}.${k}`));
    }
  }
  if (type === 'array' && schema.items) (value as unknown[]).forEach((v, i) => errors.push(...checkSchema(spec, schema.items, v, `${at}[${i}]`)));
  return errors;
}

/** The 200 JSON schema of `method path` (path as in the spec: /api/v1/terminals/{id}/track). */
export function responseSchema(spec: Schema, method: string, path: string): Schema {
  const op = spec.paths?.[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`no ${method} ${path} in the spec`);
  const ok = op.responses['200'];
  return ok.content['application/json'].schema;
}
