// A commenter's web address (comments.author_url, brought across by the WordPress import) links their name
// on the public post page: only http(s) addresses, with rel="nofollow ugc noopener", and hostile addresses
// (javascript:, data:, quotes that try to leave the attribute) never become markup.
import { DomUtils, parseDocument } from 'htmlparser2';
import { beforeAll, describe, expect, it } from 'vitest';
import { commenterUrl } from '../../server/comments/queries.js';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { importTexts, makeProject, post, wxr } from '../import/helpers.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

const comment = (id: number, author: string, url: string) =>
  `<wp:comment><wp:comment_id>${id}</wp:comment_id><wp:comment_author><![CDATA[${author}]]></wp:comment_author><wp:comment_author_url><![CDATA[${url}]]></wp:comment_author_url><wp:comment_content>Said by ${id}.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent><wp:comment_date_gmt>2021-01-05 10:00:${String(id % 60).padStart(2, '0')}</wp:comment_date_gmt></wp:comment>`;

describe('the commenter’s web address', () => {
  it('links the name for http(s) addresses only, inertly', async () => {
    const projectId = await makeProject(t, 'links');
    const comments = [
      comment(1, 'Grace', 'https://grace.example.net/'),
      comment(2, 'Plain', 'http://plain.example.org/about?x=1&y=2'),
      comment(3, 'Scripted', 'javascript:alert(1)'),
      comment(4, 'Spaced', ' JaVaScRiPt:alert(1)'),
      comment(5, 'Data', 'data:text/html,<script>alert(1)</script>'),
      comment(6, 'Quoted', 'https://q.example.com/"><script>alert(1)</script>'),
      comment(7, 'Attr', 'https://a.example.com/"onmouseover="alert(1)'),
      comment(8, 'Nobody', ''),
    ].join('');
    const run = await importTexts(t, projectId, [{ name: 'c.xml', xml: wxr(post(1, 'Talk', 'Text.', comments)) }]);
    expect(run.status).toBe('done');
    expect(run.report.counts.comments.created).toBe(8);
    const page = await get(t.app, '/links/posts/post-1');
    expect(page.statusCode).toBe(200);
    const doc = parseDocument(page.body, { decodeEntities: true });
    const authors = DomUtils.findAll((el) => el.name === 'strong' && (el.attribs.class ?? '').split(' ').includes('comment-author'), doc.children);
    expect(authors).toHaveLength(8);
    const byName = Object.fromEntries(
      authors.map((el) => {
        const a = DomUtils.findOne((n) => n.name === 'a', el.children);
        return [DomUtils.textContent(el).trim(), a ? { href: a.attribs.href, rel: a.attribs.rel, attrs: Object.keys(a.attribs).sort() } : null];
      }),
    );
    expect(byName.Grace).toEqual({ href: 'https://grace.example.net/', rel: 'nofollow ugc noopener', attrs: ['href', 'rel'] });
    expect(byName.Plain).toEqual({ href: 'http://plain.example.org/about?x=1&y=2', rel: 'nofollow ugc noopener', attrs: ['href', 'rel'] });
    // Not http(s): no link at all (the importer does not store them, and the page would not link them).
    expect(byName.Scripted).toBeNull();
    expect(byName.Spaced).toBeNull();
    expect(byName.Data).toBeNull();
    expect(byName.Nobody).toBeNull();
    // Quotes cannot leave the attribute: the address stays one href, percent-encoded, with no new elements.
    expect(byName.Quoted).toEqual({ href: 'https://q.example.com/%22%3E%3Cscript%3Ealert(1)%3C/script%3E', rel: 'nofollow ugc noopener', attrs: ['href', 'rel'] });
    expect(byName.Attr).toEqual({ href: 'https://a.example.com/%22onmouseover=%22alert(1)', rel: 'nofollow ugc noopener', attrs: ['href', 'rel'] });
    expect(DomUtils.findAll((el) => el.name === 'script' && !el.attribs.src && DomUtils.textContent(el).includes('alert'), doc.children)).toEqual([]);
    expect(page.body).not.toMatch(/href="\s*(javascript|data):/i);
  });

  it('the page never links what is not an http(s) address, whatever is stored', () => {
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'java\tscript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:x', '//evil.example/', 'https://user:pw@evil.example/', 'not a url', '', null]) {
      expect(commenterUrl(bad), String(bad)).toBeNull();
    }
    expect(commenterUrl('HTTPS://Example.org/a b')).toBe('https://example.org/a%20b');
  });
});
