/** Ids that become file names, directory names and Temporal workflow ids: one safe, portable alphabet. */
import { z } from 'zod';

/** Ids become file names and Temporal ids, so they are restricted to a safe, portable alphabet. */
export const Id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1-63 characters of a-z, 0-9, "-" or "_", starting with a letter or digit (ids become file names)',
  );
export type Id = z.infer<typeof Id>;

/** A production id: the workflow id and the output directory's name. */
export const PRODUCTION_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,79}$/;
