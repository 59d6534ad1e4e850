/** Deployment settings from the environment: worker roles, the deployment version, the store location. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseS3Url } from '../../src/store/s3.js';
import { openStorage } from '../../src/store/storage.js';

describe('deployment configuration', () => {
  it('reads worker roles (both by default) and refuses unknown ones by name', () => {
    expect(loadConfig({}).workerRoles).toEqual(['scenes', 'assembly']);
    expect(loadConfig({ STORYREEL_WORKER_ROLES: 'assembly' }).workerRoles).toEqual(['assembly']);
    expect(() => loadConfig({ STORYREEL_WORKER_ROLES: 'render' })).toThrow(/STORYREEL_WORKER_ROLES: must be scenes, assembly/);
  });

  it('takes a deployment version only with both its name and build id', () => {
    expect(loadConfig({}).deployment).toBeUndefined();
    expect(loadConfig({ STORYREEL_DEPLOYMENT_NAME: 'storyreel', STORYREEL_BUILD_ID: 'abc123' }).deployment).toEqual({
      deploymentName: 'storyreel',
      buildId: 'abc123',
    });
    expect(() => loadConfig({ STORYREEL_BUILD_ID: 'abc123' })).toThrow(ConfigError);
    expect(() => loadConfig({ STORYREEL_BUILD_ID: 'abc123' })).toThrow(/STORYREEL_DEPLOYMENT_NAME and STORYREEL_BUILD_ID go together/);
  });

  it('parses s3://bucket/prefix and refuses what cannot name a location', async () => {
    expect(parseS3Url('s3://studio-renders/team/a/')).toEqual({ bucket: 'studio-renders', prefix: 'team/a' });
    expect(parseS3Url('s3://studio-renders')).toEqual({ bucket: 'studio-renders', prefix: '' });
    expect(() => parseS3Url('s3://Studio_Renders/x')).toThrow(/STORYREEL_STORE: expected s3:\/\/<bucket>\/<prefix>/);
    expect(() => parseS3Url('s3://renders/a/../b')).toThrow(/must not contain \. or \.\. segments/);
    const dir = await openStorage({}, '/tmp/storyreel-work');
    expect(dir.description).toBe('directory /tmp/storyreel-work');
    await expect(openStorage({ STORYREEL_STORE: 's3://renders/x', STORYREEL_CACHE_MAX_BYTES: 'lots' }, '/tmp/w')).rejects.toThrow(
      /STORYREEL_CACHE_MAX_BYTES: a number of bytes/,
    );
  });
});
