// The comment form's signed render time ("this form was rendered at"), for the too-fast and expired-form
// checks of a comment (comments/service.ts: secondsSinceRender, formExpired). It belongs to the form, not
// to the page cache: the post page asks for it whether or not a cache is installed. The page cache, when
// installed, learns the stamps a response handed out (by wrapping reply.renderStamp, as it does for CSRF
// tokens) and puts a fresh one in every stored copy.
// Signed once per second (its precision; the too-fast check counts whole seconds): one HMAC per second,
// not one per page view.
import type { FastifyInstance } from 'fastify';

export function registerRenderStamp(app: FastifyInstance) {
  let last = { second: -1, value: '' };
  app.decorateReply('renderStamp', function renderStamp() {
    const second = Math.floor(app.clock.now().getTime() / 1000);
    if (last.second !== second) last = { second, value: app.signCookie(String(second * 1000)) };
    return last.value;
  });
}

declare module 'fastify' {
  interface FastifyReply {
    /** A signed timestamp of this render, to the second (verify with app.unsignCookie). */
    renderStamp(): string;
  }
}
