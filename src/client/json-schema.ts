/** The storyboard's JSON Schema, with each provider's own settings under `providers.<name>` (from the catalog). */
import { z } from 'zod';
import { PROVIDER_CATALOGS } from '../providers/catalog.js';
import { StoryboardShape } from '../storyboard/schema.js';

export function storyboardJsonSchema(): Record<string, unknown> {
  const providers = z.strictObject(Object.fromEntries(PROVIDER_CATALOGS.map((c) => [c.id, c.settings.optional()])));
  return {
    ...z.toJSONSchema(StoryboardShape.extend({ providers: providers.optional() }), { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://storyreel.dev/schema/storyboard-v1.json',
    title: 'storyreel storyboard v1',
  };
}
