// Writes a large synthetic WordPress export for the import benchmark: N posts with M comments in all
// (threaded, some pending and spam), categories and tags, paragraphs without <p>, shortcodes and block
// comments, as WordPress writes them. Streams to the file, so any size can be made.
// Usage: node --import tsx scripts/generate-wxr.ts [--posts 10000] [--comments 100000] [--out /tmp/big-export.xml]
import fs from 'node:fs';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : fallback;
};
const posts = Number(option('posts', '10000'));
const comments = Number(option('comments', '100000'));
const outFile = option('out', '/tmp/big-export.xml');

const words = 'field survey data open team project river bridge audit meeting notes service design research user public record draft report budget map'.split(' ');
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
const cdata = (s: string) => `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

export async function generate(file: string, postCount: number, commentCount: number): Promise<number> {
  const out = fs.createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write(`<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big blog</title><link>https://big.example.org</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://big.example.org</wp:base_site_url><wp:base_blog_url>https://big.example.org</wp:base_blog_url>
`);
  for (let a = 1; a <= 20; a++) {
    await write(`<wp:author><wp:author_id>${a}</wp:author_id><wp:author_login>${cdata(`author${a}`)}</wp:author_login><wp:author_email>${cdata(`author${a}@big.example.org`)}</wp:author_email><wp:author_display_name>${cdata(`Author ${a}`)}</wp:author_display_name></wp:author>\n`);
  }
  let commentId = 1;
  const perPost = commentCount / postCount;
  for (let p = 1; p <= postCount; p++) {
    const date = new Date(Date.UTC(2010, 0, 1) + p * 3_600_000 * 7).toISOString().replace('T', ' ').slice(0, 19);
    const body = `<!-- wp:paragraph -->\n${sentence(40)}\n${sentence(30)}\n<!-- /wp:paragraph -->\n\n${sentence(50)} <a href="https://example.com/${p}">a link</a> and <strong>${sentence(3)}</strong>.\n\n[caption id="attachment_${p}" width="300"]<img src="https://big.example.org/wp-content/uploads/2015/01/img-${p}.jpg" alt="${sentence(3)}" /> ${sentence(5)}[/caption]\n<!--more-->\n<ul>\n<li>${sentence(6)}</li>\n<li>${sentence(6)}</li>\n</ul>\n\n${sentence(60)}`;
    let items = '';
    const n = Math.floor(perPost * p) - Math.floor(perPost * (p - 1));
    const first = commentId;
    for (let c = 0; c < n; c++, commentId++) {
      const parent = c > 0 && rand() < 0.3 ? first + Math.floor(rand() * c) : 0;
      const approved = rand() < 0.85 ? '1' : rand() < 0.5 ? '0' : 'spam';
      items += `<wp:comment><wp:comment_id>${commentId}</wp:comment_id><wp:comment_author>${cdata(`Reader ${commentId % 977}`)}</wp:comment_author><wp:comment_author_email>reader${commentId % 977}@example.net</wp:comment_author_email>${commentId % 5 === 0 ? `<wp:comment_author_url>https://r${commentId % 977}.example.net/</wp:comment_author_url>` : ''}<wp:comment_date_gmt>${date}</wp:comment_date_gmt><wp:comment_content>${cdata(sentence(12))}</wp:comment_content><wp:comment_approved>${approved}</wp:comment_approved><wp:comment_parent>${parent}</wp:comment_parent></wp:comment>\n`;
    }
    await write(`<item><title>${cdata(`Post ${p}: ${sentence(5)}`)}</title><link>https://big.example.org/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/post-${p}/</link><dc:creator>${cdata(`author${(p % 20) + 1}`)}</dc:creator><guid isPermaLink="false">https://big.example.org/?p=${p}</guid><content:encoded>${cdata(body)}</content:encoded><excerpt:encoded>${cdata('')}</excerpt:encoded><wp:post_id>${p}</wp:post_id><wp:post_date_gmt>${date}</wp:post_date_gmt><wp:comment_status>open</wp:comment_status><wp:post_name>post-${p}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><category domain="category" nicename="cat-${p % 15}">${cdata(`Category ${p % 15}`)}</category><category domain="post_tag" nicename="tag-${p % 50}">${cdata(`Tag ${p % 50}`)}</category>\n${items}</item>\n`);
  }
  await write('</channel></rss>\n');
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return fs.statSync(file).size;
}

if (process.argv[1]?.endsWith('generate-wxr.ts')) {
  const size = await generate(outFile, posts, comments);
  process.stdout.write(`Wrote ${outFile}: ${posts} posts, ${comments} comments, ${(size / 1024 / 1024).toFixed(1)} MB\n`);
}
