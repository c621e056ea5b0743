// GET /admin — the signed-in person's projects, with what is waiting and links to each kind of work.
import type { FastifyInstance } from 'fastify';
import { roleAllows } from '../auth/roles.js';
import { demoProjects } from '../demo/content.js';
import { countUnread } from '../listening/queries.js';
import { listDashboardProjects, type DashboardProject } from './queries.js';
import { adminUrls } from '../urls.js';

const DEMO_SLUGS = new Set(demoProjects.map((p) => p.slug));

/** What views/pages/admin/dashboard.eta reads: a card per project, with its counts and the work the person may do. */
export interface DashboardView {
  projects: Array<
    DashboardProject & {
      /** Unread Conversations, or null when the person does not listen in this project. */
      unreadConversations: number | null;
      conversationsUrl: string;
      roleLabel: string;
      links: Array<{ href: string; label: string }>;
    }
  >;
  /** Just signed in after setting a password. */
  welcome: boolean;
}

export default async function dashboardRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { welcome?: string } }>('/admin', async (request, reply) => {
    const user = request.user!;
    const projects = await listDashboardProjects(app.db, user.id, user.isSiteAdmin, app.clock.now());
    const listening = projects.filter((p) => roleAllows(p.role ?? undefined, user, 'listen'));
    const unread = await countUnread(app.db, listening.map((p) => p.id));
    const cards = projects.map((p) => {
      const role = p.role ?? undefined;
      const base = adminUrls.project(p.slug);
      const links: { href: string; label: string }[] = [];
      if (roleAllows(role, user, 'write-post')) {
        links.push({ href: `${base}/posts/new`, label: 'Write a post' }, { href: `${base}/posts`, label: 'All posts' });
      }
      if (roleAllows(role, user, 'edit-pages')) links.push({ href: `${base}/pages`, label: 'Pages' });
      if (roleAllows(role, user, 'listen')) links.push({ href: `${base}/listening`, label: 'Conversations' }, { href: `${base}/listening/sources`, label: 'Watched feeds and key terms' });
      if (roleAllows(role, user, 'moderate')) links.push({ href: '/admin/moderation', label: 'Comments to moderate' });
      if (roleAllows(role, user, 'read-moderation-log')) links.push({ href: `${base}/moderation-log`, label: 'Moderation log' });
      if (roleAllows(role, user, 'manage-team')) links.push({ href: `${base}/team`, label: 'Team' });
      if (roleAllows(role, user, 'edit-settings')) links.push({ href: `${base}/settings`, label: 'Settings' });
      // The import page's own guard is the owners' one (manage-team).
      if (roleAllows(role, user, 'manage-team')) links.push({ href: `${base}/import`, label: 'Import from WordPress' });
      if (user.isSiteAdmin) links.push({ href: `${base}/delete`, label: 'Delete project' });
      if (user.isSiteAdmin && DEMO_SLUGS.has(p.slug)) links.push({ href: '/admin/demo', label: 'Remove the demo content' });
      return { ...p, unreadConversations: roleAllows(role, user, 'listen') ? (unread.get(p.id) ?? 0) : null, conversationsUrl: `${base}/listening`, roleLabel: p.role ?? (user.isSiteAdmin ? 'site admin' : ''), links };
    });
    return reply.header('cache-control', 'no-store').page('pages/admin/dashboard', {
      title: 'Dashboard',
      noindex: true,
      ...({ projects: cards, welcome: request.query.welcome === '1' } satisfies DashboardView),
    });
  });
}
