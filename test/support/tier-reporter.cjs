// Mocha reporter: the usual spec output, plus the run's counts written to XARES_TIER_STATS so
// scripts/test-tiers.mjs can add up the tiers.
const fs = require('node:fs');
const Mocha = require('mocha');

class TierReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending, tests } = this.stats;
      if (process.env.XARES_TIER_STATS) {
        fs.writeFileSync(
          process.env.XARES_TIER_STATS,
          JSON.stringify({ passes, failures, pending, tests }),
        );
      }
    });
  }
}
module.exports = TierReporter;
