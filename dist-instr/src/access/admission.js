import { AddressRules } from './rules.js';
/** The rules and limits, compiled. Built from a validated Config, so parsing cannot fail here. */
export class AccessPolicy {
    allow;
    deny;
    wake;
    keepalive;
    maxConnections;
    /** undefined: no limit. */
    maxPerSource;
    /** `knocked`: answers the `knocked` entry of the lists (none knocked without it). */
    constructor(access, idle, knocked) {
        this.allow = AddressRules.parse(access.allow, knocked);
        this.deny = AddressRules.parse(access.deny, knocked);
        this.wake = AddressRules.parse(access.wake, knocked);
        this.keepalive = AddressRules.parse(idle.keepalive, knocked);
        this.maxConnections = access.maxConnections;
        this.maxPerSource = access.maxPerSource;
    }
    /** Whether the client's traffic counts as activity: empty `keepalive` = every admitted client. */
    keepsAlive(address) {
        return this.keepalive.empty || this.keepalive.matches(address);
    }
    /** Why a refusal happened, for the log line. */
    explain(refusal, address) {
        switch (refusal) {
            case 'denied':
                return `matches deny = ${this.deny.firstMatch(address) ?? '?'}`;
            case 'not-allowed':
                return 'not in allow';
            case 'no-wake':
                return 'not in wake, and the backend is not running';
            case 'not-counted':
                return 'on a socket with counts = no, which never starts the backend, and the backend is not running';
            case 'max-connections':
                return `max_connections = ${this.maxConnections} reached, and all connections of the largest holders are busy`;
            case 'max-per-source':
                return `max_per_source = ${this.maxPerSource ?? '?'} reached`;
            case 'blocked':
                return 'blocked by mrsocko stop --for';
            case 'knock-sequence':
                return 'knock on a port out of the [knock] sequence order (its progress is reset)';
            case 'knock-malformed':
                return 'not a knock packet (see docs/knock-protocol.md)';
            case 'knock-bad-key':
                return 'knock packet with a wrong key (HMAC mismatch)';
            case 'knock-expired':
                return 'knock packet too old or from the future (more than 60 s off; check the clocks)';
            case 'knock-replayed':
                return 'knock packet replayed (its nonce was used already)';
            case 'knock-replay-full':
                return 'knock packet with the right key, refused: too many knocks in the last 2 minutes to remember their nonces';
        }
    }
}
export class Admission {
    policyNow;
    clients;
    constructor(policyNow, clients) {
        this.policyNow = policyNow;
        this.clients = clients;
    }
    get policy() {
        return this.policyNow;
    }
    /** A reload: new decisions use `policy`; connections already admitted are kept. */
    update(policy) {
        this.policyNow = policy;
    }
    /**
     * May this client open one more connection or flow? undefined = yes; a Choice = yes,
     * once the caller has closed that one to make room (in this same turn). `backendUp` is
     * true while the backend is running or already starting (someone else woke it): then
     * `wake` does not apply. `wakes` is false on a `counts = no` socket: it never wakes it.
     * The per-source limit comes first: nothing is closed for a client that would be refused anyway.
     */
    decide(address, backendUp, wakes = true) {
        const p = this.policyNow;
        if (!p.deny.empty && p.deny.matches(address))
            return 'denied';
        if (!p.allow.empty && !p.allow.matches(address))
            return 'not-allowed';
        if (!backendUp && !wakes)
            return 'not-counted';
        if (!backendUp && !p.wake.empty && !p.wake.matches(address))
            return 'no-wake';
        if (p.maxPerSource !== undefined && this.clients.openFor(address) >= p.maxPerSource)
            return 'max-per-source';
        // (over the limit only after a reload lowered it: then one in, one out)
        if (this.clients.openCount >= p.maxConnections)
            return this.clients.roomFor(address) ?? 'max-connections';
        return undefined;
    }
}
//# sourceMappingURL=admission.js.map