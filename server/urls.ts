// Every public URL is built here: pages, feeds, comment anchors. Public URLs are an interface that
// people link to and feed readers store for years: change none of them.
const enc = encodeURIComponent;

export const urls = {
  home: () => '/',
  project: (project: string) => `/${enc(project)}/`,
  projectPage: (project: string, page: number) => (page <= 1 ? `/${enc(project)}/` : `/${enc(project)}/?page=${page}`),
  post: (project: string, slug: string) => `/${enc(project)}/posts/${enc(slug)}`,
  comment: (project: string, slug: string, id: number) => `/${enc(project)}/posts/${enc(slug)}#comment-${id}`,
  comments: (project: string, slug: string) => `/${enc(project)}/posts/${enc(slug)}/comments`,
  tag: (project: string, tag: string) => `/${enc(project)}/tags/${enc(tag)}`,
  team: (project: string) => `/${enc(project)}/team`,
  page: (project: string, slug: string) => `/${enc(project)}/pages/${enc(slug)}`,
  person: (handle: string) => `/people/${enc(handle)}`,
  // Feeds
  siteFeed: (kind: 'atom' | 'rss' = 'atom') => `/feed.${kind}`,
  projectFeed: (project: string, kind: 'atom' | 'rss' = 'atom') => `/${enc(project)}/feed.${kind}`,
  tagFeed: (project: string, tag: string, kind: 'atom' | 'rss' = 'atom') => `/${enc(project)}/tags/${enc(tag)}/feed.${kind}`,
  personFeed: (handle: string, kind: 'atom' | 'rss' = 'atom') => `/people/${enc(handle)}/feed.${kind}`,
  postCommentsFeed: (project: string, slug: string) => `/${enc(project)}/posts/${enc(slug)}/comments.atom`,
  projectCommentsFeed: (project: string) => `/${enc(project)}/comments.atom`,
  search: (params: Record<string, string | undefined> = {}) => withQuery('/search', params),
  searchFeed: (params: Record<string, string | undefined> = {}) => withQuery('/search/feed.atom', params),
  feedsOpml: () => '/feeds.opml',
  sitemap: () => '/sitemap.xml',
  accessibility: () => '/accessibility',
  // Email updates (server/email); the tokens are signed secrets
  emailSubscribe: () => '/email/subscribe',
  emailConfirm: (token: string) => `/email/confirm/${enc(token)}`,
  emailManage: (token: string) => `/email/manage/${enc(token)}`,
  emailUnsubscribe: (token: string) => `/email/unsubscribe/${enc(token)}`,
  // Signed-in side
  login: () => '/login',
  logout: () => '/logout',
  admin: () => '/admin',
  static: (file: string) => `/static/${file}`,
};

/**
 * Every address of the team side under /admin/projects/:project/… (editor, pages, images, team, settings,
 * moderation log, responses, import), each part encoded. Only a site-relative path; absoluteUrl for mail.
 */
const projectAdmin = (project: string) => `/admin/projects/${enc(project)}`;
export const adminUrls = {
  project: projectAdmin,
  posts: (project: string, status?: string) => `${projectAdmin(project)}/posts${status ? `?status=${enc(status)}` : ''}`,
  newPost: (project: string) => `${projectAdmin(project)}/posts/new`,
  createPost: (project: string) => `${projectAdmin(project)}/posts`,
  bulk: (project: string) => `${projectAdmin(project)}/posts/bulk`,
  editPost: (project: string, id: number) => `${projectAdmin(project)}/posts/${id}/edit`,
  updatePost: (project: string, id: number) => `${projectAdmin(project)}/posts/${id}`,
  revisions: (project: string, id: number) => `${projectAdmin(project)}/posts/${id}/revisions`,
  revision: (project: string, id: number, rev: number) => `${projectAdmin(project)}/posts/${id}/revisions/${rev}`,
  restore: (project: string, id: number, rev: number) => `${projectAdmin(project)}/posts/${id}/revisions/${rev}/restore`,
  addTeamLink: (project: string, postId: number) => `${projectAdmin(project)}/posts/${postId}/links`,
  removeTeamLink: (project: string, postId: number, linkId: number) => `${projectAdmin(project)}/posts/${postId}/links/${linkId}/remove`,
  pages: (project: string) => `${projectAdmin(project)}/pages`,
  newPage: (project: string) => `${projectAdmin(project)}/pages/new`,
  createPage: (project: string) => `${projectAdmin(project)}/pages`,
  editPage: (project: string, id: number) => `${projectAdmin(project)}/pages/${id}/edit`,
  updatePage: (project: string, id: number) => `${projectAdmin(project)}/pages/${id}`,
  uploadImage: (project: string) => `${projectAdmin(project)}/images`,
  team: (project: string) => `${projectAdmin(project)}/team`,
  settings: (project: string) => `${projectAdmin(project)}/settings`,
  subscribers: (project: string) => `${projectAdmin(project)}/subscribers`,
  moderationLog: (project: string) => `${projectAdmin(project)}/moderation-log`,
  importReport: (project: string, importId: number | string) => `${projectAdmin(project)}/import/${importId}`,
};

export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Absolute URL from a site-relative one, against PUBLIC_URL (which has no trailing slash). */
export function absoluteUrl(publicUrl: string, path: string): string {
  return `${publicUrl}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Top-level path segments that can never be a project slug. */
export const RESERVED_SLUGS = new Set([
  'admin', 'login', 'logout', 'people', 'search', 'static', 'feeds', 'feed', 'healthz', 'readyz', 'media',
  'api', 'account', 'set-password', 'accessibility', 'sitemap', 'robots', 'favicon', 'assets', 'uploads',
  'well-known', 'email', 'about', 'help', 'projects', 'tags', 'posts', 'pages', 'comments', 'moderation', 'new',
  'webmention', 'websub', 'listening',
]);

/** Lowercase, ASCII, hyphen-separated slug suggested from a title. */
export function slugify(text: string, maxLength = 80): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug;
}
