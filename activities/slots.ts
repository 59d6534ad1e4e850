/**
 * The client side of providerSlots: ask for a slot (starting the provider's semaphore workflow if it is not
 * running yet — signal-with-start is a client call, hence an activity) and pause a provider after a 429.
 */
import { activityInfo, getClient, log } from '@temporalio/activity';
import { acquireSlotSignal, pauseProviderSignal, type SlotRequest } from '../workflows/definitions.js';
import type { providerSlots } from '../workflows/provider-slots.js';
import { slotsWorkflowId } from '../src/contracts/names.js';

export function slotActivities() {
  return {
    async requestSlot(input: { provider: string; request: SlotRequest }): Promise<void> {
      await getClient().workflow.signalWithStart<typeof providerSlots, [SlotRequest]>('providerSlots', {
        workflowId: slotsWorkflowId(activityInfo().taskQueue, input.provider),
        taskQueue: activityInfo().taskQueue,
        args: [{ provider: input.provider }],
        signal: acquireSlotSignal,
        signalArgs: [input.request],
      });
    },
  };
}

/** Best effort: holds new grants for every production until `untilMs` (a provider asked us to slow down). */
export async function pauseProvider(taskQueue: string, provider: string, untilMs: number): Promise<void> {
  try {
    await getClient().workflow.getHandle(slotsWorkflowId(taskQueue, provider)).signal(pauseProviderSignal, { untilMs });
  } catch (err) {
    log.debug('no slots workflow to pause', { provider, error: (err as Error).message });
  }
}
