/**
 * The mock kit: what every provider mock composes (see ../README.md for how to build one). Provider code imports
 * from here, not from the files behind it.
 */
export { isUploadedFile, parseBody, readBody, setBracketed, MAX_BODY_BYTES } from './body.js';
export type { BodyFormat, ParsedBody, UploadedFile } from './body.js';
export { seededFaultPlan } from './chaos.js';
export type { SeededFaultKind, SeededPlanOptions, SeededRoute } from './chaos.js';
export { COMMON_MOCK_OPTIONS, commonMockOptions, intOption, MockArgsError, parseMockArgs, runStandalone } from './cli.js';
export type { StartedMock } from './cli.js';
export { MockHttpError } from './errors.js';
export type { MockHttpErrorDetails } from './errors.js';
export { FaultBook, isContentFault, isErrorFault, pathMatches } from './faults.js';
export type {
  ContentFault,
  ErrorFault,
  FaultAction,
  FaultBookOptions,
  FaultMatch,
  FaultRule,
  FaultRuleStatus,
  FaultTarget,
  FaultType,
} from './faults.js';
export { imageInfo, IMAGE_MIME } from './image-size.js';
export type { ImageFormat, ImageInfo } from './image-size.js';
export { DuplicateJobIdError, JobStore, outcomeOf } from './jobs.js';
export type { Job, JobOutcome, JobPhase, JobStoreOptions, JobView, NewJob } from './jobs.js';
export { MediaHost } from './media-host.js';
export type { MediaSource, PublishedMedia, PublishOptions } from './media-host.js';
export { geometry, MediaRenderer, promptLook, specKey } from './media.js';
export type { ProbeInfo, RenderSpec, Variant } from './media.js';
export type { HandlerResult, MockKit, MockProvider, MockRequest, MockRoute } from './provider.js';
export { credentialSha256, CREDENTIAL_HEADERS, REDACTED } from './request-log.js';
export type { RequestLogEntry } from './request-log.js';
export { json, parseRange, text } from './respond.js';
export type { Asset, AssetReply, ByteRange, JsonReply, Reply, TextReply } from './respond.js';
export { listenOptions, startMockServer } from './server.js';
export type { MockServer, MockServerOptions } from './server.js';
