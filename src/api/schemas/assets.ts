/** Uploaded assets: content-addressed files a storyboard refers to as `asset:<sha256>`. */
import { z } from 'zod';

export const AssetKind = z.enum(['image', 'audio']);

export const AssetView = z
  .object({
    id: z.string().describe('`asset:<sha256>`: what a storyboard names'),
    sha256: z.string(),
    bytes: z.number().int(),
    mime: z.string(),
    kind: AssetKind,
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    durationS: z.number().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'Asset' });
export type AssetView = z.infer<typeof AssetView>;

export const AssetParams = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the 64 hex characters of the sha256') });
