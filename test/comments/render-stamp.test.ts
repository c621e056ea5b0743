// The comment form's signed render time is the comment form's own (comments/render-stamp.ts): it works
// on an app without the page cache, and a stamp is signed to the second, once per second.
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerRenderStamp } from '../../server/comments/render-stamp.js';
import { secondsSinceRender } from '../../server/comments/service.js';
import { TestClock } from '../helpers/test-app.js';

describe('the render stamp', () => {
  it('needs no page cache: signed to the second, the same within a second, readable by the comment rules', async () => {
    const clock = new TestClock();
    const app = Fastify();
    app.decorate('clock', clock);
    await app.register(fastifyCookie, { secret: 'a test secret of enough length' });
    registerRenderStamp(app);
    app.get('/form', async (_request, reply) => reply.send({ stamp: reply.renderStamp(), again: reply.renderStamp() }));
    await app.ready();
    const first = (await app.inject({ url: '/form' })).json() as { stamp: string; again: string };
    expect(first.again).toBe(first.stamp);
    expect(app.unsignCookie(first.stamp)).toMatchObject({ valid: true, value: String(Math.floor(clock.now().getTime() / 1000) * 1000) });
    clock.advance(3_000);
    const later = (await app.inject({ url: '/form' })).json() as { stamp: string };
    expect(later.stamp).not.toBe(first.stamp);
    expect(secondsSinceRender((v) => app.unsignCookie(v), first.stamp, clock.now())).toBe(3);
    await app.close();
  });
});
