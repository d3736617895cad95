/**
 * nvmekit's version: what the CLIs print for `--version` and what the bundled
 * target reports as its firmware revision. A unit test keeps it equal to
 * package.json's `version` (read at test time; the built tree has no path
 * to package.json that holds in both src/ and dist/).
 */
export const NVMEKIT_VERSION = '0.1.0';
