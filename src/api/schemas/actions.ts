/** Operator and reviewer actions, as request bodies; each becomes the workflow's SceneDecision or ReviewDecision. */
import { z } from 'zod';
import { Id } from '../../contracts/ids.js';

const Text = z.string().trim().min(1).max(4000);

export const RetryBody = z
  .object({
    prompt: Text.optional().describe("replaces the scene's own action text (bible, style and continuity stay)"),
    provider: Id.optional(),
    model: z.string().min(1).max(200).optional(),
  })
  .strict()
  .default({});

export const SkipBody = z
  .object({ placeholder: z.enum(['slate', 'last-frame']).optional() })
  .strict()
  .default({});

export const RejectBody = z.object({ note: Text.describe('what to change; steers the new take') }).strict();

export const EmptyBody = z.object({}).strict().optional();
