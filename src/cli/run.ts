// Runs the CLI from source (tests and `tsx`); bin/shoal.js runs the built copy.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
