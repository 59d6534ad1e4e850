/**
 * A run's start input, read from the server's history without a worker. Only the first event is fetched (one page
 * of one event): a production with tens of thousands of events costs the same one small read as a new one.
 */
import { isGrpcServiceError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { ProduceInput } from '../../workflows/definitions.js';
import { productionWorkflowId } from '../contracts/names.js';
import type { ProductionPlan } from '../storyboard/plan.js';
import type { ClientContext } from './context.js';
import { readPlanFile } from '../load/plan-file.js';

/** gRPC status NOT_FOUND (@grpc/grpc-js is not ours to import: the SDK brings it). */
const GRPC_NOT_FOUND = 5;

/** The first argument of the latest run of `workflowId`, as the workflow received it. */
export async function readStartInput<T>(ctx: ClientContext, workflowId: string): Promise<T> {
  let res;
  try {
    res = await ctx.temporal.workflowService.getWorkflowExecutionHistory({
      namespace: ctx.namespace,
      execution: { workflowId },
      maximumPageSize: 1,
    });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)
      throw new Error(`no workflow "${workflowId}" on this server`, { cause: err });
    throw err;
  }
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`workflow "${workflowId}" has no readable start input`);
  return decode<T>(ctx, payload);
}

/** The input of the production's latest run. */
export async function lastInput(ctx: ClientContext, productionId: string): Promise<ProduceInput> {
  return readStartInput<ProduceInput>(ctx, productionWorkflowId(productionId));
}

/** The plan of the production's latest run (batch items keep theirs in a plan file), with its budget applied. */
export async function lastPlan(ctx: ClientContext, productionId: string): Promise<{ plan: ProductionPlan; input: ProduceInput }> {
  const input = await lastInput(ctx, productionId);
  let plan = input.plan;
  if (!plan && input.planFile) plan = await readPlanFile(input.planFile, input.planSha256);
  if (!plan) throw new Error(`production ${productionId} has no plan in its input`);
  return { plan: input.budgetUsd !== undefined ? { ...plan, budgetUsd: input.budgetUsd } : plan, input };
}

/** Through the client's own data converter: codecs in reverse order, then the payload converter. */
async function decode<T>(ctx: ClientContext, payload: Payload): Promise<T> {
  const { payloadCodecs, payloadConverter } = ctx.temporal.options.loadedDataConverter;
  let payloads = [payload];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload<T>(payloads[0]!);
}
