// Every class the templates use has a rule in the style sheet, or is a deliberate, documented hook
// (issue 14, item 9: ~40 classes had no CSS). The same check as `npx tsx scripts/unstyled-classes.mts`.
import { describe, expect, it } from 'vitest';
import { classesInCss, classesInViews, HOOKS, unstyledClasses } from '../../scripts/unstyled-classes.mjs';

describe('classes in views/ and rules in static/css', () => {
  it('finds the classes of the templates and of the style sheet', () => {
    const used = classesInViews();
    expect(used.get('moderation-item')).toEqual(['views/pages/moderation/queue.eta']);
    expect(used.has('status-')).toBe(true); // status-<%= r.status %>
    expect(classesInCss().has('site-header')).toBe(true);
  });

  it('every class used in a template is styled or a listed hook', () => {
    expect(unstyledClasses()).toEqual([]);
  });

  it('every listed hook is still used somewhere, and none of them is also styled', () => {
    const used = classesInViews();
    const styled = classesInCss();
    for (const hook of Object.keys(HOOKS)) {
      expect(used.has(hook), hook).toBe(true);
      expect(styled.has(hook), `${hook} is styled: take it off the hook list`).toBe(false);
    }
  });
});
