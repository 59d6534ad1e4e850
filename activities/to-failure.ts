/**
 * The one translation from our errors into Temporal failures. Workflows branch on the failure `type`
 * (the ErrorKind for provider errors, the error class name otherwise), never on messages.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FailureDetails } from '../src/contracts/errors.js';
import { ProviderError } from '../src/providers/errors.js';
import { FfmpegCancelledError, FfmpegError } from '../src/media/ffmpeg.js';
import { MediaVerificationError } from '../src/media/verify-clip.js';
import { StoryboardError } from '../src/storyboard/errors.js';

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ProviderError) {
    const details = err.toJSON() as unknown as FailureDetails;
    return ApplicationFailure.create({
      message: err.message,
      type: err.kind,
      nonRetryable: !err.retryable,
      details: [details],
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(1, Math.ceil(err.retryAfterMs)) } : {}),
    });
  }
  if (err instanceof StoryboardError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nonRetryable: true,
      details: [{ kind: err.name, message: err.message }],
    });
  }
  if (err instanceof MediaVerificationError) {
    // The same bytes fail the same way: never retried; the reasons name what differs from the request.
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nonRetryable: true,
      details: [{ kind: err.name, message: err.problems.join('; ') }],
    });
  }
  if (err instanceof FfmpegCancelledError) return err;
  if (err instanceof FfmpegError) {
    // Deterministic for the same inputs: a retry runs the same command. A few retries cover disk hiccups.
    return ApplicationFailure.create({ message: err.message, type: err.name, details: [{ kind: err.name, message: err.reason }] });
  }
  if (err instanceof Error) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.name || 'Error',
      details: [{ kind: err.name || 'Error', message: err.message }],
    });
  }
  return err;
}

/** Wraps an activity implementation so every error leaves through toFailure. */
export function translated<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toFailure(err);
    }
  };
}
