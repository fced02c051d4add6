import { Admission, RETRY_LATER, RateLimitedLog, TokenBucket, agentCapFrom, openFilesLimit } from './admission';

describe('agent admission', () => {
  it('reads the soft open-files limit as `ulimit -n` shows it', () => {
    const limits = ['Limit                     Soft Limit           Hard Limit           Units', 'Max open files            20000                20000                files'].join('\n');
    expect(openFilesLimit(limits)).toBe(20_000);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files')).toBeNull();
    expect(openFilesLimit('')).toBeNull();
    // this process's own, from /proc on Linux
    expect(openFilesLimit()).toBeGreaterThan(0);
  });

  it('keeps a reserve of open files for the database, the API and files', () => {
    expect(agentCapFrom(20_000)).toBe(19_000);
    expect(agentCapFrom(1024)).toBe(824);
    expect(agentCapFrom(100)).toBe(1);
    expect(agentCapFrom(null)).toBe(Infinity);
  });

  it('admits at a steady rate after a burst (token bucket)', () => {
    let now = 0;
    const bucket = new TokenBucket(500, 500, () => now);
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) if (bucket.take()) admitted++;
    expect(admitted).toBe(500);
    now += 100; // a tenth of a second: 50 more
    admitted = 0;
    for (let i = 0; i < 10_000; i++) if (bucket.take()) admitted++;
    expect(admitted).toBe(50);
    now += 60_000; // saved up to the burst, not beyond
    admitted = 0;
    for (let i = 0; i < 10_000; i++) if (bucket.take()) admitted++;
    expect(admitted).toBe(500);
  });

  it('says a refusal once per period with the count of those not said', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new RateLimitedLog(10_000, (l) => lines.push(l), () => now);
    for (let i = 0; i < 5; i++) log.say('full');
    now = 10_000;
    log.say('full');
    expect(lines).toEqual(['full', 'full (4 more since the last such line)']);
  });

  it('refuses past the cap and past the rate, telling the agent to retry later', () => {
    const lines: string[] = [];
    const admission = new Admission(2, 1000, (l) => lines.push(l));
    expect(admission.refusal(1)).toBeNull();
    expect(admission.refusal(2)).toBeNull();
    // at the cap: no appointment (room comes when agents leave), the agent backs off
    expect(admission.refusal(3)).toEqual({ message: expect.stringMatching(new RegExp(`as many agents as it may \\(2\\); ${RETRY_LATER}$`)) });
    expect(admission.refusal(3)).not.toBeNull();
    expect(lines).toEqual(['refusing new agents: 2 agent connections open, the cap is 2 (QFLEET_MAX_AGENTS, or from the open-files limit)']);
  });

  it('gives an agent refused for the rate an appointment: the next free slot', () => {
    let now = 0;
    const lines: string[] = [];
    const admission = new Admission(Infinity, 2, (l) => lines.push(l), () => now, () => 0);
    // two saved up, then one every 500 ms; the third and fourth are booked 500 and 1000 ms ahead
    expect(admission.refusal(1)).toBeNull();
    expect(admission.refusal(2)).toBeNull();
    expect(admission.refusal(3)).toEqual({ message: `the controller admits 2 agents a second; ${RETRY_LATER} (in 500 ms)`, hint: { retryAfterMs: 500 } });
    expect(admission.refusal(4)?.hint).toEqual({ retryAfterMs: 1000 });
    expect(lines).toEqual(['connect storm: admitting 2 agents a second (QFLEET_AGENT_ADMIT_PER_SECOND); the others are given appointments, booked 0.5 s ahead']);
    // each comes back at its appointment and is let in; one a little late does not take the next one's turn
    admission.settled();
    admission.settled();
    now = 520;
    expect(admission.refusal(3)).toBeNull();
    now = 1000;
    expect(admission.refusal(3)).toBeNull();
  });

  it('admits a storm of 10,000 at its appointments, each refused once, at the rate', () => {
    let now = 0;
    const admission = new Admission(Infinity, 1000, () => undefined, () => now, Math.random);
    const appointments: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const r = admission.refusal(1);
      if (r) appointments.push(r.hint!.retryAfterMs);
      else admission.settled();
    }
    // a tenth of a second's worth at once, the rest booked
    expect(appointments.length).toBe(9900);
    // they come back in the order of their appointments, jitter included: none refused again
    let refusedAgain = 0;
    for (const at of [...appointments].sort((a, b) => a - b)) {
      now = at;
      if (admission.refusal(1)) refusedAgain++;
      else admission.settled();
    }
    expect(refusedAgain).toBe(0);
    // the last slot (9,900 ms) plus at most the 50 ms of jitter, rounded up to a whole ms
    expect(Math.max(...appointments)).toBeLessThanOrEqual(9900 + 50);
  });

  it("stops admitting while a quarter second's worth of admitted handshakes still wait for the database", () => {
    let now = 0;
    const lines: string[] = [];
    const admission = new Admission(Infinity, 80, (l) => lines.push(l), () => now, () => 0);
    expect(admission.maxInFlight).toBe(20);
    for (let i = 0; i < 20; i++) {
      now += 50;
      expect(admission.refusal(1)).toBeNull();
    }
    // the rate would admit one more, the database has not answered the twenty: an appointment
    now += 50;
    expect(admission.refusal(1)).toEqual({ message: `the controller is busy authenticating agents; ${RETRY_LATER} (in 13 ms)`, hint: { retryAfterMs: 13 } });
    expect(lines).toEqual(['connect storm: 20 agent handshakes waiting for the database; the others are given appointments, booked 0.0 s ahead']);
    // one answered: room for one
    admission.settled();
    now += 100;
    expect(admission.refusal(1)).toBeNull();
    expect(admission.refusal(1)).not.toBeNull();
  });
});
