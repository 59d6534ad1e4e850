// Runs in every test process before any test: the Temporal runtime must be installed before any Worker or
// NativeConnection exists, and must not install signal handlers inside the test runner.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
