// Search result excerpts: PostgreSQL's ts_headline picks the fragments around the matches; this shapes
// them for reading: whitespace collapsed, no stray punctuation before the first word, and an ellipsis
// wherever the excerpt starts or ends inside the text (so it never looks like it starts a sentence).

/** Highlight markers from the private-use area: removed from the text first, turned into <mark> after escaping. */
export const MARK_START = '\uE000';
export const MARK_STOP = '\uE001';

/** What the query returns for one post: the fragments, and the first and last characters of its text. */
export interface HeadlineParts {
  /** ts_headline's fragments joined by FRAGMENT_DELIMITER, matches between MARK_START and MARK_STOP. */
  headline: string;
  /** The start of the post's plain text (at least as long as a fragment). */
  head: string;
  /** The end of the post's plain text. */
  tail: string;
}

export const FRAGMENT_DELIMITER = ' … ';
const MARKERS = new RegExp(`[${MARK_START}${MARK_STOP}]`, 'g');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const plain = (text: string) => squash(text.replace(MARKERS, ''));

/** The excerpt, still with its match markers (escape, then mark: see highlightHtml). Empty when there is no text. */
export function shapeExcerpt({ headline, head, tail }: HeadlineParts): string {
  const fragments = headline
    .split(FRAGMENT_DELIMITER)
    .map((f) => squash(f).replace(/^[,.;:!?)\]}»”’–—-]+\s*/u, ''))
    .filter((f) => plain(f) !== '');
  if (fragments.length === 0) return '';
  const first = plain(fragments[0]!);
  const last = plain(fragments[fragments.length - 1]!);
  const startsText = plain(head).startsWith(first);
  const endsText = plain(tail).endsWith(last);
  return `${startsText ? '' : '… '}${fragments.join(FRAGMENT_DELIMITER)}${endsText ? '' : ' …'}`;
}
