// A `unit =` backend can be started by someone else while mrsocko has it stopped: a unit
// that Requires= it (Debian's pg_receivewal@ pulls postgresql up), a timer, an admin.
// Unnoticed, it would run for ever with `status` saying "stopped" and no idle stop. While
// stopped, PID 1's journal lines about the unit are followed (./unit-watch.ts's
// followJournal: nothing runs while nothing happens); on each, systemctl says whether it
// is now active, and the lifecycle adopts it as it is. Where journalctl is missing, such a
// start is noticed as before: never (a client's arrival then starts it, which is a no-op).
import { followJournal, whenUnitState } from './unit-watch.js';
/** Calls `started` once, when `unit` is seen active (activating: not usable yet; PID 1 logs again once it is). */
export function watchForOutsideStart(unit, env, started, systemctl = 'systemctl') {
    return whenUnitState(unit, env, systemctl, (onEvent) => followJournal(unit, env, onEvent), (state) => state === 'active', () => started(`${unit} is active`));
}
//# sourceMappingURL=outside-start.js.map