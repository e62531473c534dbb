// Finding a test's processes on the host by a mark in their command line.
import fs from 'node:fs';
/** Live (non-zombie) processes whose command line contains `mark`. */
export function marked(mark) {
    const found = [];
    for (const name of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(name))
            continue;
        try {
            const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
            const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0];
            if (cmdline.includes(mark) && state !== 'Z')
                found.push(Number(name));
        }
        catch {
            // gone
        }
    }
    return found;
}
//# sourceMappingURL=processes.js.map