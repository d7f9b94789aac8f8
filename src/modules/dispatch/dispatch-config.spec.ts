import { ConfigError, loadConfig } from '../../config/app-config';

describe('dispatch configuration', () => {
  it('OWNERLESS_AFTER_BOUNCES defaults to 3, accepts 1–100 and refuses anything else', () => {
    expect(loadConfig({ APP_MODE: 'test' }).dispatch.ownerlessAfterBounces).toBe(3);
    expect(loadConfig({ APP_MODE: 'test', OWNERLESS_AFTER_BOUNCES: '2' }).dispatch.ownerlessAfterBounces).toBe(2);
    for (const bad of ['0', '101', 'three', '2.5']) {
      expect(() => loadConfig({ APP_MODE: 'test', OWNERLESS_AFTER_BOUNCES: bad })).toThrow(ConfigError);
    }
  });
});
