/**
 * What the API needs to know about terminals that only the gateway knows: registration facts and live
 * sessions. Narrow interfaces, implemented in src/api-adapters.ts over the gateway's objects (src/api never
 * imports src/gateway), and by plain objects in tests.
 */

export interface TerminalInfo {
  /** Canonical id. */
  id: string;
  plate?: string;
  plateColor?: number;
  manufacturer?: string;
  model?: string;
  deviceId?: string;
  /** Protocol version the terminal registered with: '2011' | '2013' | '2019'. */
  protocolVersion?: string;
  /** Registered (has an auth code). */
  registered: boolean;
  /** Provisioned by an operator (allowlist). */
  provisioned: boolean;
  registeredAtMs?: number;
}

export interface TerminalDirectory {
  list(): TerminalInfo[];
  get(id: string): TerminalInfo | undefined;
  /** Adds canonical ids to the allowlist (existing registrations and codes are kept). */
  provision(ids: readonly string[]): Promise<void>;
}

export interface SessionInfo {
  authenticated: boolean;
  connectedSinceMs: number;
  lastSeenMs: number;
  /** Header layout of the last frame: '2013' (also 2011) | '2019'. */
  layout?: string;
  /** Peer address. */
  peer?: string;
}

export interface LiveSessions {
  /** The live session of a terminal, if it is connected. */
  get(id: string): SessionInfo | undefined;
}
