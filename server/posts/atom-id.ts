// Feed entry ids are minted once, at a post's first publication, as tag: URIs (RFC 4151), and stored
// (posts.atom_id). They never change when the title, slug or PUBLIC_URL changes, so feed readers never
// show a post twice. The authority is the site's own (site/identity.ts), unique to each install.
export function mintAtomId(authority: string, firstPublishedAt: Date, postId: number): string {
  const day = firstPublishedAt.toISOString().slice(0, 10);
  return `tag:${authority},${day}:post-${postId}`;
}
