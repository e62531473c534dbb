// When STATUS= is sent: a new backend phase (or a reload) at once, client counts at most
// every STATUS_INTERVAL_MS, and nothing when the text is unchanged — a message per
// connection costs more than proxying a small request (issue 7's profile).
import { systemClock } from '../util/clock.js';
/** Client counts in STATUS= are sent at most this often (phase changes at once). */
const STATUS_INTERVAL_MS = 250;
export class StatusUpdates {
    source;
    send;
    clock;
    cancel;
    sentText = '';
    sentKey;
    sentAt = -Infinity;
    stopped = false;
    constructor(source, send, clock = systemClock) {
        this.source = source;
        this.send = send;
        this.clock = clock;
    }
    /** Something shown in STATUS= may have changed; `now`: send without waiting (a reload). */
    queue(now = false) {
        if (this.stopped)
            return;
        const immediate = now || this.source.key() !== this.sentKey;
        // a phase change does not wait behind a pending client-count update
        if (immediate)
            this.clear();
        if (this.cancel)
            return;
        const wait = immediate ? 0 : this.sentAt + STATUS_INTERVAL_MS - this.clock.now();
        this.cancel = this.clock.after(Math.max(0, wait), () => {
            this.cancel = undefined;
            if (this.stopped)
                return;
            this.sentAt = this.clock.now();
            this.sentKey = this.source.key();
            const text = this.source.text();
            if (text === this.sentText)
                return;
            this.sentText = text;
            this.send(text);
        });
    }
    /** Shutdown: nothing more is sent from here. */
    stop() {
        this.stopped = true;
        this.clear();
    }
    clear() {
        this.cancel?.();
        this.cancel = undefined;
    }
}
//# sourceMappingURL=status-updates.js.map