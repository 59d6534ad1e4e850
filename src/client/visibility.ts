/** Finding productions through storyreel's search attributes (the server's visibility store). */
import type { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

const { TaskQueueType } = proto.temporal.api.enums.v1;
import { SEARCH_ATTRIBUTES } from '../contracts/names.js';

export interface ListedProduction {
  productionId: string;
  /** storyreel's state as last written to the search attribute (running, completed, …). */
  state: string;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, …). */
  status: string;
  startTime: Date;
}

/** True when the server knows every storyreel search attribute; false when it does not or cannot say. */
export async function searchAttributesRegistered(connection: Connection, namespace: string): Promise<boolean> {
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    const names = new Set(Object.keys(res.customAttributes ?? {}));
    return Object.values(SEARCH_ATTRIBUTES).every((k) => names.has(k.name));
  } catch {
    return false;
  }
}

/** Whether a worker polled the task queue (workflow or activity tasks) within the server's poller window. */
export async function taskQueueHasPollers(connection: Connection, namespace: string, taskQueue: string): Promise<boolean> {
  for (const taskQueueType of [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
    const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    if (res.pollers?.length) return true;
  }
  return false;
}

/** Productions, optionally of one batch or in one state. Quotes are stripped from filter values (no query injection). */
export async function listProductions(temporal: Client, filter: { batchId?: string; state?: string }): Promise<ListedProduction[]> {
  const clauses = [`${SEARCH_ATTRIBUTES.productionId.name} IS NOT NULL`];
  if (filter.batchId) clauses.push(`${SEARCH_ATTRIBUTES.batchId.name} = '${filter.batchId.replaceAll("'", '')}'`);
  if (filter.state) clauses.push(`${SEARCH_ATTRIBUTES.state.name} = '${filter.state.replaceAll("'", '')}'`);
  const out: ListedProduction[] = [];
  for await (const w of temporal.workflow.list({ query: clauses.join(' AND ') })) {
    out.push({
      productionId: String(w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.productionId) ?? w.workflowId),
      state: String(w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.state) ?? ''),
      status: w.status.name,
      startTime: w.startTime,
    });
  }
  return out;
}
