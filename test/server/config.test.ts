// Configuration is validated at start: each bad value is refused with a message naming it.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
    expect(c.seedDemo).toBe('auto');
    expect(c.logLevel).toBe('info');
    expect(c.feedMaxAge).toBe(300);
  });

  it('derives PUBLIC_URL from HOST and PORT and strips a trailing slash when given', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://blogs.example.gov/' }).publicUrl).toBe('https://blogs.example.gov');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['PUBLIC_URL', 'blogs.example.gov'],
    ['PUBLIC_URL', 'ftp://blogs.example.gov'],
    ['PUBLIC_URL', 'https://blogs.example.gov/?x=1'],
    ['SEED_DEMO', 'sometimes'],
    ['LOG_LEVEL', 'loud'],
    ['FEED_MAX_AGE', 'soon'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', SEED_DEMO: 'y' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });
  it('reads TRUST_PROXY as 1/true or 0/false and refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY="yes": must be 1/);
  });
});
