/**
 * Options of the store factory. src/config.ts maps the environment onto this:
 *   FLEETGATE_CLICKHOUSE_URL      → url (when absent: embedded engine under dataDir)
 *   FLEETGATE_CLICKHOUSE_USER / _PASSWORD / _DATABASE → username / password / database
 *   FLEETGATE_CLICKHOUSE_CLUSTER  → cluster (every DDL ON CLUSTER, Replicated + Distributed tables)
 *   FLEETGATE_TIMEZONE            → RollupOptions.timezone (src/store/rollup/job.ts)
 */
export interface StoreOptions {
  /** Gateway data directory; the embedded engine keeps its files in `<dataDir>/clickhouse`. */
  dataDir: string;
  /** `http(s)://host:port`; set → use that server and never load chdb. */
  url?: string;
  username?: string;
  password?: string;
  /** Database holding fleetgate's tables; created when missing. Default `fleetgate`. */
  database?: string;
  /** TLS material for an `https://` URL, as clickhouse-js takes it (PEM buffers). */
  tls?: { caCert: Buffer; cert?: Buffer; key?: Buffer };
  /** Cluster name from the server's `remote_servers`; requires `url`. */
  cluster?: string;
  /** Per-request timeout for the HTTP transport, ms. Default 60 000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_DATABASE = 'fleetgate';
