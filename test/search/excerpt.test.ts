// Search excerpts shaped for reading (issue 14, item 7): an ellipsis wherever the excerpt starts or ends
// inside the text, whole words first, whitespace collapsed, the match markers kept for highlighting.
import { describe, expect, it } from 'vitest';
import { MARK_START as S, MARK_STOP as E, shapeExcerpt } from '../../server/search/excerpt.js';

const TEXT = 'Every week, somebody tells a public service something they have already told another one.\n\nA change of address. A diagnosis. Each time, they wait while we ask again.';

describe('shapeExcerpt', () => {
  it('an excerpt from the middle of the text starts and ends with an ellipsis', () => {
    const headline = `tells a public ${S}service${E} something they have`;
    expect(shapeExcerpt({ headline, head: TEXT, tail: TEXT })).toBe(`… tells a public ${S}service${E} something they have …`);
  });

  it('the start of the text has no leading ellipsis, the end no trailing one (whitespace and markers aside)', () => {
    expect(shapeExcerpt({ headline: `Every ${S}week${E}, somebody tells`, head: TEXT, tail: TEXT })).toBe(`Every ${S}week${E}, somebody tells …`);
    expect(shapeExcerpt({ headline: `already told another one.\n\nA change of address. A diagnosis. Each time, they wait while we ask ${S}again${E}.`, head: TEXT, tail: TEXT }))
      .toBe(`… already told another one. A change of address. A diagnosis. Each time, they wait while we ask ${S}again${E}.`);
    expect(shapeExcerpt({ headline: TEXT, head: TEXT, tail: TEXT })).toBe(TEXT.replace(/\s+/g, ' '));
  });

  it('two fragments keep the ellipsis between them; stray punctuation before the first word goes', () => {
    const headline = `, somebody ${S}tells${E} a public … A ${S}diagnosis${E}. Each time`;
    expect(shapeExcerpt({ headline, head: TEXT, tail: TEXT })).toBe(`… somebody ${S}tells${E} a public … A ${S}diagnosis${E}. Each time …`);
  });

  it('nothing to show is an empty excerpt (the summary is shown instead)', () => {
    expect(shapeExcerpt({ headline: '', head: '', tail: '' })).toBe('');
    expect(shapeExcerpt({ headline: '  \n ', head: TEXT, tail: TEXT })).toBe('');
  });
});
