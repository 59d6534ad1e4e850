/**
 * The namespace storyreel runs in and its search attributes, registered through the server's own APIs (what
 * `temporal operator namespace create` and `operator search-attribute create` call). Idempotent.
 *
 * Registration is not the end: the frontend learns of a new namespace and its search attributes from a cache
 * (refreshed every couple of seconds), so this returns only once a visibility query that names every storyreel
 * search attribute is accepted, which is what a client's first list or start needs.
 */
import { Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../contracts/names.js';

/** How long closed workflows stay visible (and their histories kept) in the namespace storyreel creates. */
export const NAMESPACE_RETENTION_DAYS = 7;

type RegisterNamespaceRequest = Parameters<Connection['workflowService']['registerNamespace']>[0];

/** temporal.api.enums.v1.IndexedValueType for the search attribute types storyreel defines. */
const INDEXED_VALUE_TYPE: Record<string, number> = { KEYWORD: 2 };
/** gRPC status codes the registration calls answer with. */
const GrpcStatus = { NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

export async function ensureNamespace(address: string, namespace: string, log: (msg: string) => void, tls?: TLSConfig): Promise<void> {
  const connection = await Connection.connect({ address, ...(tls ? { tls } : {}) });
  try {
    const { workflowService, operatorService } = connection;
    const exists = await workflowService.describeNamespace({ namespace }).then(
      () => true,
      (err: unknown) => {
        if (isGrpcServiceError(err) && err.code === GrpcStatus.NOT_FOUND) return false;
        throw err;
      },
    );
    if (!exists) {
      // protobufjs encodes a plain number into the int64 `seconds`; its typings only name Long.
      const request = {
        namespace,
        workflowExecutionRetentionPeriod: { seconds: NAMESPACE_RETENTION_DAYS * 86_400 },
      } as unknown as RegisterNamespaceRequest;
      await workflowService.registerNamespace(request).catch((err: unknown) => {
        if (!(isGrpcServiceError(err) && err.code === GrpcStatus.ALREADY_EXISTS)) throw err;
      });
      log(`temporal server: namespace ${namespace} registered`);
    }
    // Until the frontend's namespace cache has the new namespace, it answers NOT_FOUND.
    const listed = await retrying(`namespace ${namespace} to be served`, () => operatorService.listSearchAttributes({ namespace }));
    const known = new Set(Object.keys(listed.customAttributes ?? {}));
    const missing = Object.values(SEARCH_ATTRIBUTES).filter((k) => !known.has(k.name));
    if (missing.length) {
      const searchAttributes: Record<string, number> = {};
      for (const k of missing) {
        const type = INDEXED_VALUE_TYPE[k.type];
        if (type === undefined) throw new Error(`search attribute ${k.name}: type ${k.type} has no mapping in temporal-namespace.ts`);
        searchAttributes[k.name] = type;
      }
      await operatorService.addSearchAttributes({ namespace, searchAttributes });
      log(`temporal server: search attributes ${missing.map((k) => k.name).join(', ')} registered`);
    }
    await waitForVisibility(connection, namespace);
  } finally {
    await connection.close();
  }
}

async function waitForVisibility(connection: Connection, namespace: string): Promise<void> {
  const query = Object.values(SEARCH_ATTRIBUTES)
    .map((k) => `${k.name} = 'readiness-probe'`)
    .join(' AND ');
  await retrying(`namespace ${namespace} to accept storyreel's search attributes in visibility queries`, () =>
    connection.workflowService.countWorkflowExecutions({ namespace, query }),
  );
}

/** Calls `fn` until it succeeds (the server's caches catch up within seconds); throws its last error after a minute. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
