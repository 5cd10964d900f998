/**
 * The gateway's objects seen through the API's narrow interfaces (src/api/directory.ts). Lives outside
 * src/api so the API never imports src/gateway; start.ts (and tests that run the whole gateway) use it.
 */
import type { LiveSessions, TerminalDirectory, TerminalInfo } from './api/directory.js';
import type { Gateway } from './gateway/server.js';
import type { TerminalRecord } from './gateway/registry-store.js';
import type { TerminalRegistry } from './gateway/terminal-registry.js';

function info(r: TerminalRecord): TerminalInfo {
  return {
    id: r.id, plate: r.plate || undefined, plateColor: r.plateColor, manufacturer: r.makerId || undefined, model: r.model || undefined,
    deviceId: r.deviceId || undefined, protocolVersion: r.version || undefined, registered: r.authCode.length > 0,
    provisioned: r.provisioned, registeredAtMs: r.authCode.length > 0 ? r.registeredAtMs : undefined,
  };
}

export function terminalDirectory(registry: TerminalRegistry, now: () => number = Date.now): TerminalDirectory {
  return {
    list: () => registry.list().map(info),
    get: (id) => {
      const r = registry.get(id);
      return r ? info(r) : undefined;
    },
    provision: (ids) => registry.provision([...ids], now()),
  };
}

export function liveSessions(gateway: Gateway): LiveSessions {
  return {
    get(id) {
      const s = gateway.sessions.get(id);
      if (!s || s.isClosed) return undefined;
      return {
        authenticated: s.state === 'authenticated', connectedSinceMs: s.openedAtMs, lastSeenMs: s.lastSeenMs,
        layout: s.layout ?? undefined, peer: s.remote,
      };
    },
  };
}
