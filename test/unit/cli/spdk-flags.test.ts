import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addIgnoredSpdkFlags, givenIgnoredFlags, SPDK_FLAGS } from '../../../src/cli/spdk-flags.js';

const FLAGS = [SPDK_FLAGS.shmId, SPDK_FLAGS.singleFileSegments, SPDK_FLAGS.noHuge, SPDK_FLAGS.zoneReport, SPDK_FLAGS.memSizeMb];

function program(): { cmd: Command; help: string } {
  const cmd = new Command('tool').exitOverride().option('-r, --transport <trid>', 'where');
  return { cmd, help: addIgnoredSpdkFlags(cmd, FLAGS) };
}

describe('ignored SPDK flags', () => {
  it('are accepted with their arguments and reported by name', () => {
    const { cmd } = program();
    cmd.parse(['-i', '0', '-g', '--no-huge', '-z', '-r', 'trtype:TCP traddr:127.0.0.1'], { from: 'user' });
    expect(cmd.opts().transport).toBe('trtype:TCP traddr:127.0.0.1');
    expect(givenIgnoredFlags(cmd, FLAGS)).toEqual(['-i', '-g', '--no-huge', '-z']);
  });

  it('report nothing when none was given', () => {
    const { cmd } = program();
    cmd.parse(['-r', 'x'], { from: 'user' });
    expect(givenIgnoredFlags(cmd, FLAGS)).toEqual([]);
  });

  it('stay out of the option list and are listed once in the help text', () => {
    const { cmd, help } = program();
    expect(cmd.helpInformation()).not.toContain('-i <id>');
    expect(help.split('\n')).toEqual([
      'SPDK flags accepted for compatibility and ignored:',
      '  -i <id>        shared memory group ID',
      '  -g             one file descriptor for DPDK memory segments',
      '  --no-huge      run without hugepages',
      '  -z [entries]   dump the ZNS zone report',
      '  -s <MB>        DPDK memory size in MB',
    ]);
  });
});
