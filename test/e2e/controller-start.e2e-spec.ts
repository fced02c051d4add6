import { TestController } from '../support/controller';
import { CONTROLLER_MAIN, spawnNode } from '../support/processes';

/** Start-up refuses what it cannot run with, in one line naming the cause. */
describe('controller start-up', () => {
  it('refuses a second controller on the same embedded database', async () => {
    const first = await TestController.start('embedded');
    try {
      const second = spawnNode(CONTROLLER_MAIN, [], { ...first.environment, PORT: '0' }, 'second-controller');
      const exit = await second.exited;
      expect(exit.code).toBe(1);
      expect(second.output.join('\n')).toMatch(/qfleet-controller: the embedded database in .* is in use by process \d+/);
      expect((await first.api('GET', '/api/health')).body).toMatchObject({ ok: true, database: 'embedded' });
    } finally {
      await first.stop();
    }
  });

  it('stops at a bad setting with a message that names it', async () => {
    const proc = spawnNode(CONTROLLER_MAIN, [], { PORT: 'eighty', QFLEET_DATA_DIR: '/tmp/never-used' }, 'bad-controller');
    expect((await proc.exited).code).toBe(1);
    expect(proc.output.join('\n')).toContain('qfleet-controller: bad setting: PORT');
  });
});
