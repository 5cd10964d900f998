// What may be logged of a Config: secrets replaced, and a password inside the ClickHouse URL too.
import { settingKeys, settings, type Config } from './settings.js';

export const REDACTED = '[redacted]';

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === '') return raw;
    url.password = REDACTED;
    return url.href;
  } catch {
    return REDACTED;
  }
}

/** A plain copy of `cfg` that is safe to log: secret settings show only whether they are set (and API key roles). */
export function redactedConfig(cfg: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const v: unknown = cfg[key];
    if (key === 'apiKeys') out[key] = cfg.apiKeys.map((k) => ({ key: REDACTED, role: k.role }));
    else if (key === 'clickhouseUrl') out[key] = cfg.clickhouseUrl === undefined ? undefined : redactUrl(cfg.clickhouseUrl);
    else if (settings[key].secret) out[key] = v === undefined ? undefined : REDACTED;
    else out[key] = v;
  }
  return out;
}
