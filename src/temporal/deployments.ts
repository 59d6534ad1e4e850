/**
 * Safe deploys with Worker Versioning: every worker of a build announces (deployment name, build id); a production
 * is pinned to the build that started it and finishes on it, while new productions start on the deployment's
 * current version. A deploy is: start the new build's workers, make their version current (below, or
 * `temporal worker deployment set-current-version`), and stop the old build's workers once its productions drained.
 */
import type { Connection } from '@temporalio/client';

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

export class DeploymentError extends Error {
  override readonly name = 'DeploymentError';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function assertDeploymentVersion(v: DeploymentVersion): void {
  if (!NAME.test(v.deploymentName)) throw new DeploymentError('STORYREEL_DEPLOYMENT_NAME: letters, digits, . _ - (at most 255)');
  if (!NAME.test(v.buildId))
    throw new DeploymentError('STORYREEL_BUILD_ID: letters, digits, . _ - (at most 255), e.g. a git commit or release tag');
}

/**
 * Makes `version` the current version of its deployment: new productions start on it. The server knows a version
 * only once one of its workers polled, so this waits (up to `waitMs`) for that.
 */
export async function setCurrentVersion(
  connection: Connection,
  namespace: string,
  version: DeploymentVersion,
  opts: { waitMs?: number; identity?: string } = {},
): Promise<void> {
  assertDeploymentVersion(version);
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: opts.identity ?? 'storyreel',
      });
      return;
    } catch (err) {
      // NOT_FOUND / FAILED_PRECONDITION until the version's workers have polled.
      const code = (err as { code?: number }).code;
      if ((code !== 5 && code !== 9) || Date.now() > deadline) {
        throw new DeploymentError(`cannot make ${version.deploymentName}/${version.buildId} current: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
