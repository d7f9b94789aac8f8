import { DEFAULT_POLICY, policyProblems, scaleLimit, stageLimitFor, type PolicyDefinition } from './sla-policy';

describe('SLA policy (时限策略)', () => {
  it('the default policy is valid: 50 % 催办 blue, 80 % 预警 yellow, 100 % 超期 red, breach + 2 h 督办 district, + 24 h 通报', () => {
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
    expect(DEFAULT_POLICY.thresholds.map((t) => [t.code, t.fraction, t.level])).toEqual([['remind', 0.5, 'blue'], ['warning', 0.8, 'yellow'], ['breach', 1, 'red']]);
    expect(DEFAULT_POLICY.ladder.map((s) => [s.kind, s.afterBreachSeconds, s.target])).toEqual([['supervise', 7200, 'district'], ['notice', 86400, 'city']]);
  });

  it('the default policy gives 立案 and 签收 limits by priority: 15 / 30 natural minutes for 特急 / 紧急, 1 / 2 working hours for 一般', () => {
    expect(['extra_urgent', 'urgent', 'normal'].map((p) => stageLimitFor(DEFAULT_POLICY, 'register', p))).toEqual([
      { type: 'natural', seconds: 900 }, { type: 'natural', seconds: 1800 }, { type: 'working_hours', seconds: 3600 },
    ]);
    expect(['extra_urgent', 'urgent', 'normal'].map((p) => stageLimitFor(DEFAULT_POLICY, 'sign', p))).toEqual([
      { type: 'natural', seconds: 900 }, { type: 'natural', seconds: 1800 }, { type: 'working_hours', seconds: 7200 },
    ]);
    // No default for verification and callback; the handling stages take the case standard's limit instead.
    expect(stageLimitFor(DEFAULT_POLICY, 'verify', 'urgent')).toBeNull();
    expect(stageLimitFor(DEFAULT_POLICY, 'callback', 'normal')).toBeNull();
    // An unknown priority counts as 一般; a flat stage limit applies to every priority.
    expect(stageLimitFor(DEFAULT_POLICY, 'sign', 'whatever')).toEqual({ type: 'working_hours', seconds: 7200 });
    const flat: PolicyDefinition = { ...DEFAULT_POLICY, stageLimits: { verify: { type: 'working_days', days: 1, startNextWorkingDay: true } } };
    expect(stageLimitFor(flat, 'verify', 'extra_urgent')).toEqual({ type: 'working_days', days: 1, startNextWorkingDay: true });
  });

  it('stage limits by priority need all three priorities and nothing else', () => {
    const byPriority = (by: Record<string, unknown>, extra: Record<string, unknown> = {}) => policyProblems({ ...DEFAULT_POLICY, stageLimits: { sign: { byPriority: by, ...extra } } });
    const ok = { type: 'natural', seconds: 60 };
    expect(byPriority({ extra_urgent: ok, urgent: ok, normal: ok })).toEqual([]);
    for (const bad of [byPriority({ urgent: ok, normal: ok }), byPriority({ extra_urgent: ok, urgent: ok, normal: ok, later: ok }),
      byPriority({ extra_urgent: ok, urgent: ok, normal: { type: 'weeks', seconds: 1 } }), byPriority({ extra_urgent: ok, urgent: ok, normal: ok }, { type: 'natural' })]) {
      expect(bad.join('\n')).toContain('stageLimits.sign');
    }
  });

  it('a limit is in the unit its clock type reads, above zero: seconds for natural and working hours, days for working days', () => {
    const stage = (limit: Record<string, unknown>) => policyProblems({ ...DEFAULT_POLICY, stageLimits: { verify: limit } });
    for (const ok of [{ type: 'natural', seconds: 60 }, { type: 'working_hours', seconds: 3600 }, { type: 'working_days', days: 1, startNextWorkingDay: true }, { type: 'working_days', days: 0.5 }]) {
      expect({ ok, problems: stage(ok) }).toEqual({ ok, problems: [] });
    }
    for (const bad of [{ type: 'working_days', seconds: 86400 }, { type: 'working_hours', days: 1 }, { type: 'natural', seconds: 60, days: 1 }, { type: 'natural', seconds: 0 },
      { type: 'working_days', days: 0 }, { type: 'working_days', days: -1 }, { type: 'natural' }, { type: 'natural', seconds: '60' }, { type: 'working_days', days: 1, startNextWorkingDay: 'yes' }]) {
      expect({ bad, problems: stage(bad).join('\n') }).toEqual({ bad, problems: expect.stringContaining('stageLimits.verify') });
    }
  });

  it('reports every problem of a bad definition', () => {
    const problems = policyProblems({
      priorityFactors: { urgent: 0, normal: 'x', bogus: 1 },
      unitOverrides: [{ unitId: 'nope', factor: 1 }],
      stageLimits: { sign: { type: 'weeks', seconds: 1 }, lunch: { type: 'natural', seconds: 1 } },
      thresholds: [{ code: 'remind', fraction: 0.5, kind: 'remind', level: 'blue', nameZh: '催办', nameEn: 'R' }, { code: 'remind', fraction: 0.6, kind: 'remind', level: 'blue', nameZh: '催办', nameEn: 'R' }],
      ladder: [{ code: 'x', afterBreachSeconds: 0, kind: 'supervise', target: 'district', nameZh: 'x', nameEn: 'x' }],
      extra: true,
    });
    for (const fragment of ['unknown field extra', 'priorityFactors.extra_urgent', 'priorityFactors.urgent', 'priorityFactors.normal', 'unknown priority bogus',
      'unitOverrides[0]', 'stageLimits.sign', 'unknown stage lunch', 'code remind repeated', 'must contain the breach', 'ladder[0]']) {
      expect(problems.join('\n')).toContain(fragment);
    }
    expect(policyProblems(null)).toEqual(['definition must be an object']);
    expect(policyProblems([])).toEqual(['definition must be an object']);
  });

  describe('limit = case standard × priority factor (relative to the standard’s own priority) × unit override', () => {
    const policy: PolicyDefinition = { ...DEFAULT_POLICY, unitOverrides: [{ unitId: '00000000-0000-4000-8000-000000000001', factor: 0.5 }] };

    it('a ticket of the standard’s own priority keeps the standard’s limit', () => {
      expect(scaleLimit({ type: 'natural', seconds: 4 * 3600 }, policy, 'urgent', 'urgent', null)).toEqual({ type: 'natural', seconds: 4 * 3600 });
    });
    it('a normal standard filed as extra urgent is halved; days keep fractions', () => {
      expect(scaleLimit({ type: 'working_hours', seconds: 16 * 3600 }, policy, 'extra_urgent', 'normal', null)).toEqual({ type: 'working_hours', seconds: 8 * 3600 });
      expect(scaleLimit({ type: 'working_days', days: 5, startNextWorkingDay: true }, policy, 'urgent', 'normal', null)).toEqual({ type: 'working_days', days: 3.75, startNextWorkingDay: true });
    });
    it('a unit override multiplies; seconds round up so a limit never shrinks below the exact product', () => {
      expect(scaleLimit({ type: 'natural', seconds: 4 * 3600 }, policy, 'urgent', 'urgent', '00000000-0000-4000-8000-000000000001')).toEqual({ type: 'natural', seconds: 2 * 3600 });
      expect(scaleLimit({ type: 'natural', seconds: 7 }, policy, 'urgent', 'normal', null)).toEqual({ type: 'natural', seconds: 6 }); // 5.25 → 6
      expect(scaleLimit({ type: 'natural', seconds: 4 * 3600 }, policy, 'urgent', 'urgent', '00000000-0000-4000-8000-000000000009')).toEqual({ type: 'natural', seconds: 4 * 3600 });
    });
  });
});
