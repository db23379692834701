// Starts a private `natter dev` (temp data folder, free ports) and stops it, with its
// nats-server, when the tests end — pass or fail. The SDK's script does it for both
// test suites, so that code exists once.

import { startNatter as start, repoRoot } from '../../../sdk/ts/scripts/natter-dev.mjs';

export { repoRoot };

/** Resolves with { url, dataDir, stop(), … } once `natter dev` serves HTTP. */
export function startNatter(opts = {}) {
  return start({ tmpPrefix: 'natter-browser-', ...opts });
}
