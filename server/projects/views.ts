// What the project's public pages give their templates (views/pages/projects/*.eta): named view models,
// camelCase, dates as Date, raw HTML only in fields named as trusted. Built from the rows the routes read.
import type { Page, Project } from '../db/schema.js';
import type { pagination } from '../pagination.js';
import type { PostSummary } from '../posts/queries.js';
import { projectIdentity, type ProjectIdentity } from './project-page.js';
import type { TagWithCount, TeamMember } from './queries.js';

/** The links between pages of a paged listing (server/pagination.ts; views/partials/pagination.eta). */
export type PaginationView = ReturnType<typeof pagination>;

/** GET /:project/ */
export interface ProjectHomeView {
  /** Also read by the layout for its header. */
  project: ProjectIdentity;
  /** Shown on the first page only. */
  intro: { summary: string; descriptionHtmlTrusted: string };
  posts: PostSummary[];
  team: TeamMember[];
  tags: TagWithCount[];
  pages: Array<{ slug: string; title: string }>;
  pagination: PaginationView;
}

export function projectHomeView(
  project: Project,
  rows: { posts: PostSummary[]; team: TeamMember[]; tags: TagWithCount[]; pages: Array<{ slug: string; title: string }>; pagination: PaginationView },
): ProjectHomeView {
  return {
    project: projectIdentity(project),
    // Trusted HTML: the project's description as the one sanitizing renderer (markdown/render.ts) stored it.
    intro: { summary: project.summary, descriptionHtmlTrusted: project.description_html },
    ...rows,
  };
}

/** GET /:project/team */
export interface ProjectTeamView {
  project: ProjectIdentity;
  team: TeamMember[];
}

/** GET /:project/tags/:tag */
export interface TagPageView {
  project: ProjectIdentity;
  tag: { slug: string; name: string };
  posts: PostSummary[];
  /** Public posts with the tag, over every page. */
  total: number;
  pagination: PaginationView;
}

/** GET /:project/pages/:slug */
export interface StaticPageView {
  project: ProjectIdentity;
  page: { title: string; updatedAt: Date; bodyHtmlTrusted: string };
}

export function staticPageView(project: Project, page: Page): StaticPageView {
  // Trusted HTML: the page's body as the one sanitizing renderer (markdown/render.ts) stored it.
  return { project: projectIdentity(project), page: { title: page.title, updatedAt: page.updated_at, bodyHtmlTrusted: page.body_html } };
}
