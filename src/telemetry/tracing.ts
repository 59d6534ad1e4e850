/**
 * OpenTelemetry traces through Temporal's interceptors (@temporalio/interceptors-opentelemetry): one span per
 * activity execution (RunActivity:<type>), a child of the span context the workflow sent in the activity's
 * headers when there is one. Off by default; OTEL_TRACES_EXPORTER picks the exporter:
 *
 *   none     (default) no tracer, no interceptor, no cost
 *   otlp     OTLP over HTTP/protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
 *            (default http://localhost:4318), headers from OTEL_EXPORTER_OTLP_HEADERS (the exporter reads them)
 *   console  spans printed to stdout (debugging)
 *
 * The service name is OTEL_SERVICE_NAME, else storyreel-worker.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export type TracesExporter = 'none' | 'otlp' | 'console';

export interface Tracing {
  /** Interceptors for WorkerSetup.activityInterceptors (empty when tracing is off). */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

export function createTracing(
  exporter: TracesExporter,
  opts: { serviceName?: string | undefined; spanExporter?: SpanExporter } = {},
): Tracing {
  if (exporter === 'none' && !opts.spanExporter) return { activityInterceptors: [], shutdown: async () => {} };
  const spanExporter = opts.spanExporter ?? (exporter === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter());
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': opts.serviceName ?? 'storyreel-worker' }),
  });
  provider.addSpanProcessor(new BatchSpanProcessor(spanExporter));
  const tracer = provider.getTracer('storyreel');
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    shutdown: () => provider.shutdown(),
  };
}
