/** The user config file as hints name it: the one loadUserConfig reads, the home folder as `~`. */
import { describe, expect, it } from 'vitest';
import { userConfigName } from '../../../src/recipe/user-config.js';

describe('userConfigName', () => {
  it.each([
    [{ HOME: '/home/ann' }, '~/.config/kontext/config.json'],
    [{ HOME: '/home/ann/' }, '~/.config/kontext/config.json'],
    [{ HOME: '/home/ann', XDG_CONFIG_HOME: '/home/ann/xdg' }, '~/xdg/kontext/config.json'],
    [{ HOME: '/home/ann', XDG_CONFIG_HOME: '/etc/xdg' }, '/etc/xdg/kontext/config.json'],
    // A relative XDG_CONFIG_HOME is invalid (XDG): ignored, not read against whatever the cwd is.
    [{ HOME: '/home/ann', XDG_CONFIG_HOME: 'xdg' }, '~/.config/kontext/config.json'],
    [{ HOME: '/home/ann', XDG_CONFIG_HOME: '/x', KONTEXT_CONFIG_DIR: '/srv/kontext' }, '/srv/kontext/config.json'],
    [{ HOME: '/home/ann', KONTEXT_CONFIG_DIR: '/home/annex' }, '/home/annex/config.json'],
    [{}, '$KONTEXT_CONFIG_DIR/config.json'],
  ])('%j → %s', (env, name) => {
    expect(userConfigName({ env })).toBe(name);
  });
});
