#!/usr/bin/env node
import { buildProgram } from './program.js';
import { runCli } from './run-cli.js';

await runCli(buildProgram(), process.argv);
