"""The `plan` verb: the command, its report, the comparison with a deployed state, and the renderings.

Other verbs that need a stack's plan (`promote`'s gates, `shards plan`) use `scripts.plan.report`
(`build_plan`, `PlanReport`): its public surface. The work itself is the engine's
(scripts.engine); this package only shapes what the engine found for people and CI.
"""
