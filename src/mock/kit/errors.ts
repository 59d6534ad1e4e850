/**
 * The one error a mock handler throws to answer with an HTTP error. It carries what any provider's error body needs
 * (status, message, a machine code, a type, the offending parameter) and nothing of any provider's format: the
 * provider's `errorReply` hook turns it into that provider's body (`{"error":{…}}`, `{"detail":…}`, …).
 *
 * The kit itself throws it for what it checks before a provider sees the request, with these codes:
 *   request_too_large (413), invalid_json / unsupported_content_type / invalid_multipart (400),
 *   invalid_fault (400, a bad `x-mock-fault` header or fault rule), range_not_satisfiable (416),
 *   mock_error (500, a bug in a handler).
 */
export interface MockHttpErrorDetails {
  /** Machine-readable code, e.g. `invalid_value`; null when the provider sends none. */
  code?: string | null;
  /** Error class in providers that have one (OpenAI's `type`); undefined lets the provider pick its default. */
  type?: string;
  /** The request field at fault, when there is one. */
  param?: string | null;
  /** Extra response headers (e.g. `content-range`, `retry-after`). */
  headers?: Record<string, string>;
  /** Provider-specific fields of the body (e.g. ComfyUI's `node_errors`). */
  extra?: Record<string, unknown>;
}

export class MockHttpError extends Error {
  override readonly name: string = 'MockHttpError';
  readonly code: string | null;
  readonly type: string | undefined;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;

  constructor(
    readonly status: number,
    message: string,
    details: MockHttpErrorDetails = {},
  ) {
    super(message);
    this.code = details.code ?? null;
    this.type = details.type;
    this.param = details.param ?? null;
    this.headers = details.headers ?? {};
    this.extra = details.extra ?? {};
  }
}
