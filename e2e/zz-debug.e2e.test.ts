import { it } from 'vitest';
import { openSession } from './fixtures.js';
it('debug', async () => {
  const t0 = Date.now();
  const s = await openSession({ width: 1300, height: 950 });
  await s.page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  console.log('study', Date.now() - t0);
  await s.page.getByTestId('segment-list').waitFor({ timeout: 60_000 });
  console.log('segments', Date.now() - t0);
  for (let n = 0; n < 8; n++) {
    const r = await s.page.evaluate(async () => {
      const t = performance.now();
      await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
      const marks = performance.getEntriesByType('mark').length;
      return { raf: performance.now() - t, marks };
    });
    console.log(Date.now() - t0, JSON.stringify(r));
    await new Promise((res) => setTimeout(res, 2000));
  }
  await s.close();
}, 120_000);
