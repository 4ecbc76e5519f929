#!/usr/bin/env node
/**
 * The `gmmseg` command line: subcommands are composed here (the only name → factory map) and this is the only place
 * that exits the process. User errors are printed as one line; anything else is a bug and keeps its stack trace.
 */
import { Command } from 'commander';
import { GmmsegError } from '../errors.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { inspectCommand } from './inspect.js';
import { metricsCommand } from './metrics.js';
import { predictCommand } from './predict.js';
import { serveCommand } from './serve.js';
import { trainCommand } from './train.js';
import { webBuildCommand } from './web-build.js';

const program = new Command('gmmseg')
  .description('generative semantic segmentation (GMMSeg): Gaussian-mixture classifier head, anomaly maps')
  .version('0.1.0')
  .showHelpAfterError()
  .addCommand(demoCommand())
  .addCommand(trainCommand())
  .addCommand(evalCommand())
  .addCommand(predictCommand())
  .addCommand(serveCommand())
  .addCommand(inspectCommand())
  .addCommand(metricsCommand())
  .addCommand(webBuildCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof GmmsegError) {
    process.stderr.write(`gmmseg: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
