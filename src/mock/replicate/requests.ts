/**
 * Validation of a create's body and headers the way Replicate answers them: 422 with `invalid_fields` naming
 * `input.<field>`, the model's defaults applied, file inputs decoded, and the `Cancel-After` / `Prefer` headers.
 */
import { imageInfo, type ImageInfo } from '../kit/index.js';
import { invalidInput, ProblemError, type InvalidField } from './errors.js';
import type { FieldSpec, MockModel } from './models.js';

export interface DecodedImage {
  data: Buffer;
  info: ImageInfo;
}

export interface CreateCommand {
  /** The input as sent (echoed back as is). */
  input: Record<string, unknown>;
  /** With the model's defaults. */
  effective: Record<string, unknown>;
  /** Decoded data-URL images by field (URL inputs are accepted, never fetched). */
  images: Record<string, DecodedImage>;
}

export function parseCreateInput(model: MockModel, raw: unknown): CreateCommand {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw invalidInput([{ type: 'required', field: 'input', description: 'input is required and must be an object' }]);
  const input = raw as Record<string, unknown>;
  const problems: InvalidField[] = [];
  const effective: Record<string, unknown> = { ...input };
  const images: Record<string, DecodedImage> = {};
  for (const [name, spec] of Object.entries(model.fields)) {
    const value = input[name];
    if (value === undefined || value === null) {
      if (spec.required) problems.push({ type: 'required', field: `input.${name}`, description: `${name} is required` });
      else if ('default' in spec && spec.default !== undefined) effective[name] = spec.default;
      continue;
    }
    const problem = checkValue(name, spec, value);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (spec.type === 'image' && typeof value === 'string' && value.startsWith('data:')) {
      const decoded = decodeDataUrl(value);
      if (!decoded) problems.push({ type: 'format', field: `input.${name}`, description: `${name} is not a readable image` });
      else images[name] = decoded;
    }
  }
  if (!problems.length)
    for (const p of model.check?.(effective) ?? []) problems.push({ type: 'invalid', field: `input.${p.field}`, description: p.message });
  if (problems.length) throw invalidInput(problems);
  return { input, effective, images };
}

function checkValue(name: string, spec: FieldSpec, value: unknown): InvalidField | undefined {
  const field = `input.${name}`;
  const typeError = (expected: string): InvalidField => ({
    type: 'invalid_type',
    field,
    description: `Invalid type. Expected: ${expected}, given: ${Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value}`,
  });
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return typeError('string');
      if (spec.enum && !spec.enum.includes(value))
        return { type: 'enum', field, description: `${name} must be one of the following: ${spec.enum.map((v) => `"${v}"`).join(', ')}` };
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : typeError('boolean');
    case 'image':
      if (typeof value !== 'string' || !/^(https?:\/\/|data:)/.test(value))
        return { type: 'format', field, description: `${name}: Does not match format 'uri'` };
      return undefined;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value)))
        return typeError(spec.type);
      if (spec.type === 'integer' && spec.enum && !spec.enum.includes(value))
        return { type: 'enum', field, description: `${name} must be one of the following: ${spec.enum.join(', ')}` };
      if (spec.min !== undefined && value < spec.min)
        return { type: 'number_gte', field, description: `Must be greater than or equal to ${spec.min}` };
      if (spec.max !== undefined && value > spec.max)
        return { type: 'number_lte', field, description: `Must be less than or equal to ${spec.max}` };
      return undefined;
    }
  }
}

function decodeDataUrl(url: string): DecodedImage | undefined {
  const m = /^data:([\w/+.-]+)?(;base64)?,(.*)$/s.exec(url);
  if (!m?.[2]) return undefined;
  const data = Buffer.from(m[3]!, 'base64');
  const info = imageInfo(data);
  return info ? { data, info } : undefined;
}

/**
 * `Cancel-After`: a positive duration such as `30s`, `5m`, `1h30m` or `1.5m` (units ms, s, m, h). Undefined
 * when absent. A value that is none of these is a 400 (the live API's exact answer is not documented).
 */
export function parseCancelAfter(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const ms = parts.reduce(
    (t, [, n, unit]) => t + Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'],
    0,
  );
  if (!parts.length || parts.map((p) => p[0]).join('') !== text || ms <= 0)
    throw new ProblemError(
      400,
      'Invalid Cancel-After header',
      `Cancel-After must be a positive duration such as "30s", "5m" or "1h30m"; got "${header}".`,
    );
  return ms;
}

/** `Prefer: wait` (60 s) or `wait=n` (1..60 s); undefined when absent or not a wait preference. */
export function parsePreferWait(header: string | undefined): number | undefined {
  const m = header ? /(?:^|[,;\s])wait(?:=(\d+))?(?:$|[,;\s])/.exec(header) : null;
  if (!m) return undefined;
  return Math.min(60, Math.max(1, m[1] ? Number(m[1]) : 60)) * 1000;
}
