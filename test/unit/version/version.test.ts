import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NvmfTarget } from '../../../src/target/target.js';
import { NVMEKIT_VERSION } from '../../../src/version.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('NVMEKIT_VERSION', () => {
  it("is package.json's version", () => {
    expect(NVMEKIT_VERSION).toBe(packageJson.version);
  });

  it('is the firmware revision the target reports by default', () => {
    expect(new NvmfTarget().settings.firmwareRevision).toBe(NVMEKIT_VERSION.slice(0, 8));
  });
});
