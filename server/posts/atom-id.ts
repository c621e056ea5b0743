// Feed entry ids are minted once, at a post's first publication, as tag: URIs (RFC 4151). They never
// change when the title, slug or even PUBLIC_URL changes, so feed readers never show a post twice.
export function mintAtomId(publicUrl: string, firstPublishedAt: Date, postId: number): string {
  const host = new URL(publicUrl).hostname;
  const day = firstPublishedAt.toISOString().slice(0, 10);
  return `tag:${host},${day}:post-${postId}`;
}
