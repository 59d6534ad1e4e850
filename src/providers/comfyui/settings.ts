/**
 * The storyboard's `providers.comfyui` block: the common provider settings plus the workflows this storyboard brings
 * (each a model id scenes can name), and how failures of safety nodes are recognised.
 */
import { z } from 'zod';
import { providerSettings } from '../../contracts/provider-settings.js';
import { TEMPLATE_IDS } from './templates/index.js';
import { NODE_PATH, SLOTS, type Slot } from './workflow.js';

const NodePath = z
  .string()
  .regex(NODE_PATH, 'must be a node input path like "6.inputs.text" (node id, then "inputs", then the input name)');
const Target = z.union([NodePath, z.array(NodePath).min(1)]);

const SLOT_HELP: Record<Slot, string> = {
  prompt: 'the positive prompt text (e.g. "6.inputs.text")',
  negativePrompt: 'the negative prompt text',
  seed: 'the sampler seed (e.g. "3.inputs.seed" or "57.inputs.noise_seed")',
  width: 'the latent width',
  height: 'the latent height',
  frames: 'the frame count (e.g. "55.inputs.length")',
  fps: 'the frame rate inputs (CreateVideo fps, LTXVConditioning frame_rate)',
  firstFrame: "the LoadImage node's image input for the first frame",
  lastFrame: "the LoadImage node's image input for the last frame",
};

/** Slot → node input path(s). Placeholders such as "{{prompt}}" in the workflow need no entry. */
export const Mapping = z.strictObject(
  Object.fromEntries(SLOTS.map((s) => [s, Target.optional().describe(SLOT_HELP[s])])) as Record<Slot, z.ZodOptional<typeof Target>>,
);

const SizeText = z.string().regex(/^\d{2,5}x\d{2,5}$/, 'must be WIDTHxHEIGHT, e.g. "832x480"');
const Seconds = z.number().positive().max(600);

export const WorkflowEntry = z
  .strictObject({
    /** A workflow exported from ComfyUI in API format, next to the storyboard. */
    file: z.string().min(1).optional(),
    /** Or one of the workflows storyreel ships. */
    template: z.enum(TEMPLATE_IDS).optional(),
    /** Where the request's values go (a template's own mapping is the default, these entries override it). */
    mapping: Mapping.optional(),
    /** Fixed input values, e.g. the model file names on your server: { "37.inputs.unet_name": "wan_fp16.safetensors" }. */
    set: z.record(NodePath, z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Frame rate the workflow renders at; default: the value at the mapped fps input. */
    fps: z.number().positive().max(120).optional(),
    /** frames = seconds × fps (+1 with plusOne), seconds × fps a multiple of multipleOf. Wan: 4 + plusOne; LTX: 8 + plusOne. */
    frameCount: z.strictObject({ multipleOf: z.number().int().min(1).max(64), plusOne: z.boolean() }).optional(),
    /** Allowed lengths; a single number when the workflow's length is fixed (frames not mapped). */
    seconds: z.union([Seconds, z.strictObject({ min: Seconds, max: Seconds, step: Seconds.optional() })]).optional(),
    /** Sizes the workflow renders, "WxH"; default: the size it was exported with (and its transpose). */
    sizes: z.array(SizeText).min(1).optional(),
    /** The workflow cannot run without a first frame (image-to-video). */
    firstFrameRequired: z.boolean().optional(),
    /** Seconds of rendering per second of video, for the job deadline. Default 60. */
    renderSecondsPerSecond: z.number().positive().max(10_000).optional(),
    /** The node whose saved video is the clip, when the workflow saves more than one. */
    outputNode: z.string().min(1).optional(),
  })
  .refine((w) => (w.file === undefined) !== (w.template === undefined), {
    error: 'give either "file" (a workflow exported in API format) or "template" (one storyreel ships), not both',
  });
export type WorkflowEntry = z.infer<typeof WorkflowEntry>;

/** A model id a scene names: a template id, or a workflow's key here. */
export const ModelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 characters of letters, digits, ".", "-" or "_"');

export const ComfyUISettings = providerSettings({
  /** Workflows this storyboard brings, by the model id scenes use (`model: my-wan`). */
  workflows: z.record(ModelName, WorkflowEntry).optional(),
  /**
   * `exception_type`s of an execution_error that mean a safety node refused the content (e.g. a custom NSFW
   * checker's exception class): the scene fails as content_policy and is never retried. ComfyUI itself has none.
   */
  policyExceptionTypes: z.array(z.string().min(1)).optional(),
});
export type ComfyUISettings = z.infer<typeof ComfyUISettings>;
