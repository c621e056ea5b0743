// Compressed templates (server/cache/compressed-template.ts) as a pure unit: a page split at its
// per-response values, compressed once, then filled by concatenation, decodes with Node's own zlib to
// exactly the page with those values, whatever the values, the sizes and the position of the gaps.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressTemplate, fillCompressed } from '../../server/cache/compressed-template.js';
import { CSRF_PLACEHOLDER, splitTemplate, STAMP_PLACEHOLDER } from '../../server/cache/page-cache.js';

const prose = Array.from({ length: 400 }, (_, i) => `<p class="c">Comment ${i}: “quoted” · text, ünïcode and <a href="/x/${i}">a link</a></p>`).join('\n');

const cases: Record<string, string> = {
  'the stamp near the end': `<html>${prose}<form><input name="rendered_at" value="${STAMP_PLACEHOLDER}"></form></html>`,
  'a token at the top, the stamp twice': `<form><input name="_csrf" value="${CSRF_PLACEHOLDER}"></form>${prose}<i>${STAMP_PLACEHOLDER}</i>${prose.slice(0, 3000)}${STAMP_PLACEHOLDER}`,
  'nothing but a value': STAMP_PLACEHOLDER,
  'no values at all': prose,
  'a page over 64 KB after its value': `${CSRF_PLACEHOLDER}${prose}${prose}${prose}`,
};

describe('compressed templates', () => {
  for (const [name, page] of Object.entries(cases)) {
    it(`decode to the filled page: ${name}`, () => {
      const template = splitTemplate(page);
      const compressed = compressTemplate(template, { brotli: true });
      for (const values of [{ csrf: 'token-1', stamp: '1781690400000.abc' }, { csrf: '', stamp: 'x'.repeat(300) }]) {
        const expected = page.replaceAll(CSRF_PLACEHOLDER, values.csrf).replaceAll(STAMP_PLACEHOLDER, values.stamp);
        expect(zlib.gunzipSync(fillCompressed(compressed, 'gzip', values)).toString('utf8')).toBe(expected);
        if (compressed.br) expect(zlib.brotliDecompressSync(fillCompressed(compressed, 'br', values)).toString('utf8')).toBe(expected);
      }
    });
  }

  it('keeps Brotli only where it beats gzip', () => {
    const late = compressTemplate(splitTemplate(cases['the stamp near the end']!), { brotli: true });
    const early = compressTemplate(splitTemplate(cases['a page over 64 KB after its value']!), { brotli: true });
    expect(late.br).toBeDefined();
    expect(early.br).toBeUndefined();
    const values = { stamp: '1781690400000.abc' };
    expect(fillCompressed(late, 'br', values).length).toBeLessThan(fillCompressed(late, 'gzip', values).length);
    expect(compressTemplate(splitTemplate(cases['the stamp near the end']!), { brotli: false }).br).toBeUndefined();
  });
});
