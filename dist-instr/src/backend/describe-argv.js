// The backend's short name for logs and status, from its argv.
import path from 'node:path';
const INTERPRETERS = /^(node|nodejs|python[0-9.]*|sh|bash|dash|env|java|perl|ruby|php)$/;
/**
 * A short name for logs: "/usr/bin/jellyfin" → "jellyfin", "node server.js" → "server.js",
 * "python3 -m http.server 8000" → "http.server", "python3 -c CODE" → "python3".
 */
export function describeArgv(argv) {
    const program = path.basename(argv[0] ?? 'backend');
    if (!INTERPRETERS.test(program))
        return program;
    for (let i = 1; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === '-c' || arg === '-e' || arg === '--eval')
            return program; // inline code: no name
        if (arg === '-m')
            return argv[i + 1] ?? program;
        if (!arg.startsWith('-'))
            return path.basename(arg);
    }
    return program;
}
//# sourceMappingURL=describe-argv.js.map