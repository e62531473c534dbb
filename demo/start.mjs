// `npm start`: run mrsocko standalone in front of the demo backend, and say where to look.
import { main } from '../dist/src/cli/main.js';

process.stdout.write(`
  mrsocko demo: open http://127.0.0.1:18080/ (or: curl http://127.0.0.1:18080/)
  The first request starts demo/backend.mjs (about 1 s) and is held, not dropped, until it is up;
  10 s after the last request mrsocko stops it again. Ctrl-C to quit.

`);
const status = await main(['run', '--config', new URL('./demo.conf', import.meta.url).pathname], {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exit(status);
