/**
 * `validate_prompt` as ComfyUI's execution.py does it, over the mock's node table: every node must have a known
 * `class_type` (else `missing_node_type`, the whole prompt refused); there must be an output node
 * (`prompt_no_outputs`); each output is validated recursively through its links (`required_input_missing`,
 * `bad_linked_input`, `return_type_mismatch`, `invalid_input_type`, `value_smaller_than_min`, `value_bigger_than_max`,
 * `value_not_in_list`, LoadImage's `custom_validation_failed`), errors collected per node in `node_errors` with the
 * outputs that depend on them. A prompt is accepted when at least one output validates.
 *
 * A link to a node that does not exist raises inside ComfyUI's validation (a KeyError): reported, as there, as
 * `exception_during_inner_validation` on the linking node (or `exception_during_validation` when it is the output).
 */
import { ANY_FILE, NODE_CLASSES, type InputSpec } from './nodes.js';

export interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: ComfyError[];
  dependent_outputs: string[];
  class_type: string;
}

export type Graph = Record<string, { class_type?: unknown; inputs?: unknown; _meta?: { title?: unknown } }>;

export type Validation =
  | { ok: true; outputs: string[]; nodeErrors: Record<string, NodeErrors> }
  | { ok: false; error: ComfyError; nodeErrors: Record<string, NodeErrors> };

type Result = { valid: boolean; errors: ComfyError[] };

const isLinkValue = (v: unknown): v is unknown[] => Array.isArray(v);

export function validatePrompt(prompt: Graph, uploadedImages: (name: string) => boolean, modelFiles?: ReadonlySet<string>): Validation {
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    const title = typeof node._meta?.title === 'string' ? node._meta.title : undefined;
    if (typeof node.class_type !== 'string') {
      return fail({
        type: 'missing_node_type',
        message: `Node '${title ?? `ID #${id}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`,
        details: `Node ID '#${id}'`,
        extra_info: { node_id: id, class_type: null, node_title: title ?? null },
      });
    }
    const cls = NODE_CLASSES[node.class_type];
    if (!cls) {
      return fail({
        type: 'missing_node_type',
        message: `Node '${title ?? node.class_type}' not found. The custom node may not be installed.`,
        details: `Node ID '#${id}'`,
        extra_info: { node_id: id, class_type: node.class_type, node_title: title ?? node.class_type },
      });
    }
    if (cls.outputNode) outputs.push(id);
  }
  if (!outputs.length) return fail({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });

  const validated = new Map<string, Result>();
  const good: string[] = [];
  const failures: [string, ComfyError[]][] = [];
  const nodeErrors: Record<string, NodeErrors> = {};
  for (const o of outputs) {
    let r: Result;
    try {
      r = validateInputs(prompt, o, validated, uploadedImages, modelFiles);
    } catch (err) {
      r = { valid: false, errors: [exceptionError('exception_during_validation', 'Exception when validating node', err)] };
      validated.set(o, r);
    }
    if (r.valid) {
      good.push(o);
      continue;
    }
    failures.push([o, r.errors]);
    for (const [id, v] of validated) {
      if (v.valid || !v.errors.length) continue;
      nodeErrors[id] ??= { errors: v.errors, dependent_outputs: [], class_type: String(prompt[id]?.class_type) };
      nodeErrors[id].dependent_outputs.push(o);
    }
  }
  if (!good.length) {
    const details = failures.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return {
      ok: false,
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} },
      nodeErrors,
    };
  }
  return { ok: true, outputs: good, nodeErrors };
}

function fail(error: ComfyError): Validation {
  return { ok: false, error, nodeErrors: {} };
}

function exceptionError(type: string, message: string, err: unknown): ComfyError {
  const text = err instanceof Error ? err.message : String(err);
  return {
    type,
    message,
    details: text,
    extra_info: { exception_type: err instanceof KeyError ? 'KeyError' : 'Exception', traceback: [] },
  };
}

/** What Python raises for `prompt[o_id]` when the linked node does not exist. */
class KeyError extends Error {}

function validateInputs(
  prompt: Graph,
  id: string,
  validated: Map<string, Result>,
  uploadedImages: (name: string) => boolean,
  modelFiles: ReadonlySet<string> | undefined,
): Result {
  const done = validated.get(id);
  if (done) return done;
  const node = prompt[id]!;
  const cls = NODE_CLASSES[node.class_type as string]!;
  const inputs = (typeof node.inputs === 'object' && node.inputs !== null ? node.inputs : {}) as Record<string, unknown>;
  const errors: ComfyError[] = [];
  let valid = true;
  const specs: [string, InputSpec, boolean][] = [
    ...Object.entries(cls.required).map(([k, s]) => [k, s, true] as [string, InputSpec, boolean]),
    ...Object.entries(cls.optional ?? {}).map(([k, s]) => [k, s, false] as [string, InputSpec, boolean]),
  ];
  for (const [x, spec, required] of specs) {
    if (!(x in inputs)) {
      if (required) {
        errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: x, extra_info: { input_name: x } });
      }
      continue;
    }
    const val = inputs[x];
    const info = [spec.type === 'LINK' ? spec.of : spec.type, {}];
    if (isLinkValue(val)) {
      if (val.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      const from = String(val[0]);
      const linked = prompt[from];
      if (!linked) throw new KeyError(`'${from}'`);
      const fromCls = NODE_CLASSES[linked.class_type as string]!;
      const index = Number(val[1]);
      const received = fromCls.output[index];
      if (received === undefined) throw new RangeError('tuple index out of range');
      const expected = spec.type === 'LINK' ? spec.of : spec.type;
      if (!typesMatch(received, expected)) {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${x}, received_type(${received}) mismatch input_type(${expected})`,
          extra_info: { input_name: x, input_config: info, received_type: received, linked_node: val },
        });
        continue;
      }
      try {
        const r = validateInputs(prompt, from, validated, uploadedImages, modelFiles);
        if (!r.valid) valid = false;
      } catch (err) {
        valid = false;
        validated.set(from, {
          valid: false,
          errors: [exceptionError('exception_during_inner_validation', 'Exception when validating inner node', err)],
        });
      }
      continue;
    }
    const problem = checkLiteral(x, val, spec, info, modelFiles);
    if (problem) errors.push(problem);
  }
  if (node.class_type === 'LoadImage' && typeof inputs.image === 'string' && !uploadedImages(inputs.image)) {
    errors.push({
      type: 'custom_validation_failed',
      message: 'Custom validation failed for node',
      details: `image - Invalid image file: ${inputs.image}`,
      extra_info: { input_name: 'image' },
    });
  }
  const result = { valid: valid && !errors.length, errors };
  validated.set(id, result);
  return result;
}

/** ComfyUI's validate_node_input: equal, a wildcard, or one of a comma-separated set. */
function typesMatch(received: string, expected: string): boolean {
  if (received === expected || received === '*' || expected === '*') return true;
  const a = new Set(received.split(','));
  return expected.split(',').some((t) => a.has(t));
}

function checkLiteral(
  x: string,
  val: unknown,
  spec: InputSpec,
  info: unknown[],
  modelFiles: ReadonlySet<string> | undefined,
): ComfyError | undefined {
  const extra = { input_name: x, input_config: info, received_value: val };
  if (spec.type === 'INT' || spec.type === 'FLOAT') {
    const n = typeof val === 'number' ? val : typeof val === 'string' && val.trim() !== '' ? Number(val) : NaN;
    if (!Number.isFinite(n) || (spec.type === 'INT' && typeof val === 'string' && !/^-?\d+$/.test(val.trim()))) {
      return {
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${spec.type} value`,
        details: `${x}, ${String(val)}, invalid literal`,
        extra_info: { ...extra, exception_message: 'invalid literal' },
      };
    }
    const v = spec.type === 'INT' ? Math.trunc(n) : n;
    if (spec.min !== undefined && v < spec.min) {
      return { type: 'value_smaller_than_min', message: `Value ${v} smaller than min of ${spec.min}`, details: x, extra_info: extra };
    }
    if (spec.max !== undefined && v > spec.max) {
      return { type: 'value_bigger_than_max', message: `Value ${v} bigger than max of ${spec.max}`, details: x, extra_info: extra };
    }
    return undefined;
  }
  if (spec.type === 'COMBO') {
    const options = spec.options === ANY_FILE ? (modelFiles ? [...modelFiles] : undefined) : spec.options;
    if (!options || options.includes(val as string)) return undefined;
    const list = options.length > 20 ? `(list of length ${options.length})` : `[${options.map((o) => `'${o}'`).join(', ')}]`;
    return {
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: `${x}: '${String(val)}' not in ${list}`,
      extra_info: { input_name: x, input_config: options.length > 20 ? null : info, received_value: val },
    };
  }
  return undefined;
}
