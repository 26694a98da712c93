"""The preview engine below every verb: run the program under Pulumi's mocks, judge it with the pack.

- `capture`: `__main__.py` under Pulumi's own mocks, in shards, as captured registrations (`models`).
- `phases`: the view a real first `pulumi preview` has of them (ids, ARNs and what derives from them unknown).
- `analyzer`, `pack_process`, `wire`: the policy pack as a process over the Analyzer gRPC protocol.
- `evaluate`: one stack judged in both phases, as `plan`, `promote`, `shards` and `audit` need it.
- `state`: the one reader and writer of the pivot format, `pulumi stack export` version 3.

The engine imports no verb; the verbs (scripts.plan, scripts.audit, ...) import it.
"""
