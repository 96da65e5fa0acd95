/**
 * The fraud example's own commands, beside the generic `tributary` CLI:
 *
 *   npx tsx examples/fraud/cli.ts demo [--duration <s>] [--manual] ...   (also `npm run demo`)
 *   npx tsx examples/fraud/cli.ts simulate --count 20000 --rate 500 ...
 *
 * `demo` tells the continuous-learning story end to end on this machine; `simulate` streams card
 * transactions with injected fraud and late labels to the topics examples/fraud/pipeline.yaml
 * names. Both read the same configuration as `tributary` (`--config`, TRIBUTARY_* variables) and
 * report failures the same way (one line, exit 1; bad input exit 2).
 */
import { runCli } from '../../src/cli/run-cli.js';
import { buildFraudExampleProgram } from './program.js';

await runCli(buildFraudExampleProgram(), process.argv);
