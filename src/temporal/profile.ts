/**
 * Where and how to reach Temporal: a Temporal environment profile, the way the `temporal` CLI and every Temporal
 * SDK read it (@temporalio/envconfig), so a cluster needs no storyreel-specific flags:
 *
 *   - a TOML file: TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile TEMPORAL_PROFILE, else
 *     "default" ([profile.default] address, namespace, api_key, [profile.default.tls] client_cert_path, …);
 *   - TEMPORAL_* variables, which override the file: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 *     TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA, TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA,
 *     TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_<NAME>.
 *
 * An API key turns TLS on (Temporal Cloud). No address anywhere means "no cluster": `storyreel run` then starts its
 * own dev server. The options returned hold secrets (API key, client key): they go straight to a connection and
 * are never logged; `describeProfile` says what is used without them.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface TemporalProfile {
  /** undefined: neither the profile nor TEMPORAL_ADDRESS names a server. */
  address: string | undefined;
  namespace: string | undefined;
  /** For a Connection or NativeConnection (secrets included: never log this). */
  connection: TemporalConnectionOptions | undefined;
}

export class TemporalProfileError extends Error {
  override readonly name = 'TemporalProfileError';
}

/** Reads the profile. An empty variable counts as unset (docker compose passes unset optional variables so). */
export function loadTemporalProfile(env: Readonly<Record<string, string | undefined>> = process.env): TemporalProfile {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    const where = vars.TEMPORAL_CONFIG_FILE ? `TEMPORAL_CONFIG_FILE (${vars.TEMPORAL_CONFIG_FILE})` : 'the Temporal profile';
    throw new TemporalProfileError(
      `${where}${vars.TEMPORAL_PROFILE ? ` profile "${vars.TEMPORAL_PROFILE}"` : ''}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const o = loaded.connectionOptions;
  const address = o.address;
  if (!address) return { address: undefined, namespace: loaded.namespace, connection: undefined };
  return {
    address,
    namespace: loaded.namespace,
    connection: {
      address,
      ...(o.tls !== undefined && o.tls !== null ? { tls: o.tls } : {}),
      ...(typeof o.apiKey === 'string' ? { apiKey: o.apiKey } : {}),
      ...(o.metadata ? { metadata: o.metadata as Record<string, string> } : {}),
    },
  };
}

/** What a log line may say about a connection: address, TLS or not, client certificate or not, API key or not. */
export function describeConnection(c: TemporalConnectionOptions): string {
  const tls = c.tls === undefined || c.tls === false ? 'plaintext' : typeof c.tls === 'object' && c.tls.clientCertPair ? 'mTLS' : 'TLS';
  return `${c.address} (${tls}${c.apiKey ? ', API key' : ''})`;
}
